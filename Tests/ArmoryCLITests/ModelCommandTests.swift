import Foundation
import Testing

/// `armory train`, `armory evaluate` and `armory validate` on models, run as a user runs them:
/// a process over a SQLite state store and an artifact folder of its own.
@Suite("The model commands, run as a process", .serialized)
struct ModelCommandTests {
    /// A folder with a small demo store seeded in it, removed after `body`.
    static func withSeededFolder(_ body: (URL, [String]) throws -> Void) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("armory-models-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = folder.appendingPathComponent("armory.sqlite").path
        let seed = try CLIProcess.run(["demo", "seed", "--movies", "300", "--users", "400", "--database", database])
        try #require(seed.status == 0, "\(seed.standardError)")
        try body(folder, ["--database", database, "--data-dir", folder.path])
    }

    @Test("train registers versions with their offline figures, moves an alias; evaluate scores them side by side as CSV")
    func trainAndEvaluate() throws {
        try Self.withSeededFolder { folder, stores in
            let listed = try CLIProcess.run(["train"])
            #expect(listed.status == 0 && listed.standardOutput.contains("als") && listed.standardOutput.contains("matrix-factorization"))

            let trained = try CLIProcess.run(["train", "als", "--name", "small-mf", "--param", "factors=8,iterations=4", "--alias", "champion",
                                              "--format", "json"] + stores)
            #expect(trained.status == 0, "\(trained.standardError)")
            let version = try #require(try JSONSerialization.jsonObject(with: Data(trained.standardOutput.utf8)) as? [String: Any])
            #expect(version["version"] as? Int == 1 && version["trainer"] as? String == "als")
            let evaluation = try #require(version["evaluation"] as? [String: Any])
            let scores = try #require(evaluation["scores"] as? [[String: Any]])
            #expect(scores.count == 3)  // the model, popularity, history
            let digest = try #require(version["artifact_digest"] as? String)
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("artifacts/sha256/\(digest)").path))

            let second = try CLIProcess.run(["train", "als", "--name", "small-mf", "--param", "factors=4", "--test-fraction", "0"] + stores)
            #expect(second.status == 0 && second.standardOutput.hasPrefix("registered small-mf@2"), "\(second.standardOutput)\(second.standardError)")

            let csv = try CLIProcess.run(["evaluate", "popularity", "matrix-factorization:model=small-mf@champion", "--format", "csv",
                                          "--resamples", "50"] + stores)
            #expect(csv.status == 0, "\(csv.standardError)")
            let lines = csv.standardOutput.split(separator: "\n")
            #expect(lines.count == 3 && lines[0].hasPrefix("algorithm,k,users,recall"))
            #expect(lines[2].hasPrefix("matrix-factorization model=small-mf@champion,10,"))
            #expect(csv.standardError.contains("has seen the held-out events"))
        }
    }

    @Test("bad input is one line naming the problem, and exit status 1")
    func refusals() throws {
        try Self.withSeededFolder { folder, stores in
            let cases: [([String], String)] = [
                (["train", "nope", "--name", "m"], "no trainer named 'nope'"),
                (["train", "als", "--name", "Bad Name"], "model name 'Bad Name' is not valid"),
                (["train", "als", "--name", "m", "--param", "factors=0"], "factors"),
                (["train", "als", "--name", "m", "--param", "colour=blue"], "has no parameter 'colour'"),
                (["evaluate", "matrix-factorization:model=ghost@champion"], "no model named 'ghost'"),
                (["evaluate", "matrix-factorization"], "serves a trained model"),
                (["evaluate", "nothing-here"], "no algorithm named 'nothing-here'"),
                (["evaluate", "matrix-factorization:model=m@99999999999999999999"], "too large to be a version"),
                (["train", "als", "--name", "m", "--param", "alpha=nan"], "not NaN"),
                (["train", "als", "--name=-m"], "starting with a letter or digit"),
                (["train", "als", "--name", "m", "--alias", "123"], "alias '123' is not valid"),
                (["train", "als", "--name", "m", "--artifacts", "https://example.com/bucket"], "is not supported"),
            ]
            for (arguments, message) in cases {
                let output = try CLIProcess.run(arguments + stores)
                #expect(output.status == 1, "\(arguments)")
                #expect(output.standardError.contains(message), "\(arguments): \(output.standardError)")
                #expect(output.standardError.split(separator: "\n").count == 1, "\(arguments): \(output.standardError)")
            }
            // Options that do not parse are refused before anything runs, as every option is
            // (status 64, the message first, then the command's usage).
            for (arguments, message) in [
                (["train", "als", "--name", "m", "--param", "factors=4,factors=8"], "'factors' is given twice"),
                (["train", "als", "--name", "m", "--param", "factors=4,,iterations=2"], "'' is not name=value"),
                (["train", "als"], "--name is required"),
            ] {
                let output = try CLIProcess.run(arguments + stores)
                #expect(output.status == 64, "\(arguments)")
                #expect(output.standardError.hasPrefix("Error: ") && output.standardError.contains(message), "\(arguments): \(output.standardError)")
            }
            // A mistyped store path is named, and no empty database is left there.
            let typo = folder.appendingPathComponent("typo/x.sqlite").path
            let mistyped = try CLIProcess.run(["train", "als", "--name", "m", "--database", typo, "--data-dir", folder.path])
            #expect(mistyped.status == 1 && mistyped.standardError.contains("there is no state store at \(typo)"), "\(mistyped.standardError)")
            // Nothing was trained or registered by the refused commands, and the typo made no file.
            let nothing = try CLIProcess.run(["evaluate", "matrix-factorization:model=m@1"] + stores)
            #expect(nothing.standardError.contains("no model named 'm'"), "\(nothing.standardError)")
            #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("typo").path))
            // validate checks that the model and its alias exist.
            let experiments = folder.appendingPathComponent("experiments")
            try FileManager.default.createDirectory(at: experiments, withIntermediateDirectories: true)
            try """
            id: mf
            objective: ctr
            fallback: popular
            arms:
              - { name: popular, algorithm: popularity }
              - { name: mf, algorithm: matrix-factorization, params: { model: "ghost@champion" } }
            """.write(to: experiments.appendingPathComponent("mf.yaml"), atomically: true, encoding: .utf8)
            let validated = try CLIProcess.run(["validate", experiments.path] + stores)
            #expect(validated.status == 1)
            #expect(validated.standardOutput.contains("mf.yaml:6:67: arms[1].params.model") && validated.standardOutput.contains("no model named 'ghost'"),
                    "\(validated.standardOutput)")
        }
    }
}
