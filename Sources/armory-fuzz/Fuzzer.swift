import ArmoryCore
import ArmoryServer
import ArmoryStorage
import Foundation

enum FuzzTarget: String {
    case events, experiments, decisions
}

enum FuzzLimit {
    case seconds(Double)
    case cases(Int)
}

/// Runs one target's cases: corpus inputs mutated by a seeded generator.
struct Fuzzer {
    let target: FuzzTarget
    var generator: Xoshiro256StarStar
    let corpus: [[UInt8]]
    let seed: UInt64
    let signer = DecisionSigner(secret: Data("armory-fuzz decision secret, 32b".utf8))
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    init(target: FuzzTarget, seed: UInt64, corpus directory: String) {
        self.target = target
        self.seed = seed
        generator = Xoshiro256StarStar(seed: seed)
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        corpus = files.sorted().compactMap { FileManager.default.contents(atPath: directory + "/" + $0).map { [UInt8]($0) } }
        if corpus.isEmpty {
            print("armory-fuzz: no corpus in \(directory); generating from nothing")
        }
    }

    struct Summary {
        var cases = 0
        var accepted = 0
        var refused = 0
        var seconds = 0.0
    }

    mutating func run(_ limit: FuzzLimit) -> Summary {
        var summary = Summary()
        let start = Date()
        while true {
            switch limit {
            case .cases(let count) where summary.cases >= count: summary.seconds = Date().timeIntervalSince(start); return summary
            case .seconds(let seconds) where summary.cases % 256 == 0 && Date().timeIntervalSince(start) >= seconds:
                summary.seconds = Date().timeIntervalSince(start)
                return summary
            default: break
            }
            let input = nextInput()
            // Printed before the case runs would cost more than the case; the seed and number
            // reproduce any case (`--seed S --cases N+1` runs up to it).
            if runCase(input) { summary.accepted += 1 } else { summary.refused += 1 }
            summary.cases += 1
        }
    }

    /// A corpus input with one to eight mutations, or (one case in sixteen) random bytes.
    mutating func nextInput() -> [UInt8] {
        if corpus.isEmpty || next(16) == 0 {
            return (0..<next(200)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        }
        var input = corpus[next(corpus.count)]
        for _ in 0...next(8) { mutate(&input) }
        return input
    }

    mutating func mutate(_ input: inout [UInt8]) {
        let interesting: [[UInt8]] = [
            Array("1e308".utf8), Array("-1e300".utf8), Array("9223372036854775807".utf8), Array("-9223372036854775808".utf8),
            Array("\\u0000".utf8), Array("\\n".utf8), Array("null".utf8), Array("[]".utf8), Array("{}".utf8), Array("\"\"".utf8),
            Array("NaN".utf8), Array(String(repeating: "x", count: 300).utf8), [0xFF], [0xC3], [0x00], [0x0A], Array("&a *a".utf8),
            Array("- ".utf8), Array(": ".utf8), Array("!!binary".utf8), Array("0x7FFFFFFF".utf8), Array(".".utf8), Array("d2.".utf8),
        ]
        let position = input.isEmpty ? 0 : next(input.count + 1)
        switch next(6) {
        case 0 where !input.isEmpty: input[min(position, input.count - 1)] = UInt8(truncatingIfNeeded: generator.next())
        case 1 where !input.isEmpty: input.remove(at: min(position, input.count - 1))
        case 2: input.insert(contentsOf: interesting[next(interesting.count)], at: position)
        case 3 where input.count > 1:
            let end = min(input.count, position + next(16) + 1)
            input.replaceSubrange(min(position, end)..<end, with: interesting[next(interesting.count)])
        case 4 where !input.isEmpty:
            let start = next(input.count)
            let slice = input[start..<min(input.count, start + next(32) + 1)]
            input.insert(contentsOf: slice, at: position)
        default: input.insert(UInt8(truncatingIfNeeded: generator.next()), at: position)
        }
    }

    /// Runs one input through the target; `true` when it was accepted.
    mutating func runCase(_ input: [UInt8]) -> Bool {
        switch target {
        case .events: return FuzzCases.event(Data(input), signer: signer, now: now)
        case .experiments: return FuzzCases.experiment(Data(input))
        case .decisions: return FuzzCases.decision(String(decoding: input, as: UTF8.self), signer: signer, generator: &generator)
        }
    }

    mutating func next(_ bound: Int) -> Int {
        bound <= 0 ? 0 : Int(generator.next() % UInt64(bound))
    }
}
