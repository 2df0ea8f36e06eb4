import Foundation
import Testing

/// The fuzzer's corpus through its properties, a few thousand cases per target with a fixed
/// seed: a short run of what README's "Development" runs for ten minutes each.
@Suite("Fuzzing: the event, experiment and decision-id readers on mutated corpus inputs")
struct FuzzTests {
    @Test("every case is a value or a typed refusal, and accepted inputs keep their properties (seed 1)",
          arguments: ["events", "experiments", "decisions"])
    func target(name: String) throws {
        let binary = BuiltModules.directory + "/armory-fuzz"
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            Issue.record("\(binary) is missing: build every product first (`swift build`, as `bash scripts/test` does)")
            return
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [name, "--cases", "3000", "--seed", "1"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.contains("\(name): 3000 cases") && text.contains("no crash"), "\(text)")
        #expect(!text.contains("no corpus"), "the corpus in Fuzz/corpus/\(name) was found")
    }
}
