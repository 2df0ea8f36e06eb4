import ArmoryCore
import ArmoryServer
import ArmoryStorage
import Foundation

/// A seeded fuzzer for what reads client and file input: the events route's decoder and
/// validator, the experiment file decoder, and the decision-id parser. Each case is a corpus
/// file (Fuzz/corpus/<target>/) mutated a few times, or generated fresh; the only outcomes
/// allowed are a value or a typed refusal. A trap (a precondition, an overflow, an index out of
/// range) stops the process, which prints the target, seed and case number to reproduce it.
///
///   swift build -c release --scratch-path .build-release --product armory-fuzz
///   .build-release/release/armory-fuzz events --seconds 600 [--seed N]
let arguments = CommandLine.arguments.dropFirst()
guard let target = arguments.first, FuzzTarget(rawValue: target) != nil else {
    print("usage: armory-fuzz events|experiments|decisions [--seconds S | --cases N] [--seed N] [--corpus DIR]")
    exit(2)
}
func option(_ name: String) -> String? {
    arguments.firstIndex(of: name).flatMap { arguments.index(after: $0) < arguments.endIndex ? arguments[arguments.index(after: $0)] : nil }
}
let seed = option("--seed").flatMap(UInt64.init) ?? UInt64(Date().timeIntervalSince1970)
let corpusRoot = option("--corpus") ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../Fuzz/corpus").standardized.path
let limit: FuzzLimit = option("--cases").flatMap(Int.init).map(FuzzLimit.cases) ?? .seconds(Double(option("--seconds") ?? "60") ?? 60)

var fuzzer = Fuzzer(target: FuzzTarget(rawValue: target)!, seed: seed, corpus: corpusRoot + "/" + target)
let summary = fuzzer.run(limit)
print("armory-fuzz \(target): \(summary.cases) cases in \(String(format: "%.0f", summary.seconds)) s, seed \(seed), "
    + "\(summary.accepted) accepted, \(summary.refused) refused, no crash")
