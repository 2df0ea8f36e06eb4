import Foundation
import Testing

@Suite("The armory command line, run as a process")
struct CommandTests {
    @Test("--help lists the commands", arguments: [
        ["--help"], ["validate", "--help"], ["algorithms", "--help"], ["stats", "--help"], ["simulate", "--help"],
    ])
    func help(arguments: [String]) throws {
        let output = try CLIProcess.run(arguments)
        #expect(output.status == 0)
        #expect(output.standardOutput.contains("USAGE: armory"))
        if arguments == ["--help"] {
            for command in ["validate", "algorithms", "stats", "simulate"] { #expect(output.standardOutput.contains(command)) }
        }
    }

    @Test("validate passes on experiments/, checking arms against the built modules")
    func validateExamples() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: CLIProcess.repositoryRoot.appendingPathComponent("experiments").path)
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
        let output = try CLIProcess.run(["validate"])
        #expect(output.status == 0, "\(output.standardOutput)\(output.standardError)")
        #expect(output.standardOutput.isEmpty)
        #expect(output.standardError == "\(files.count) files checked: \(files.count) valid, 0 problems\n")
    }

    @Test("validate names unknown algorithms and bad parameters from the loaded modules' descriptors")
    func validateAlgorithms() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("arms.yaml")
        try """
        id: arms
        objective: ctr
        fallback: a
        arms:
          - name: a
            algorithm: popularty
          - name: b
            algorithm: history
            params: { like_boost: "lots", lookback_days: 0, window: 3 }
        """.write(to: file, atomically: true, encoding: .utf8)
        let output = try CLIProcess.run(["validate", file.path])
        #expect(output.status == 1)
        #expect(output.standardOutput == """
        \(file.path):6:16: arms[0].algorithm: unknown algorithm 'popularty' (did you mean 'popularity'?); loaded: \(try loadedAlgorithms().joined(separator: ", "))
        \(file.path):9:27: arms[1].params.like_boost: parameter 'like_boost' must be a number, not a string
        \(file.path):9:50: arms[1].params.lookback_days: parameter 'lookback_days' must be at least 1, not 0
        \(file.path):9:61: arms[1].params.window: algorithm 'history' has no parameter 'window'; it takes: like_boost, lookback_days

        """)
    }

    /// The algorithms the built modules register, by name (the built-ins and any a user added).
    private func loadedAlgorithms() throws -> [String] {
        let json = try CLIProcess.run(["algorithms", "--format", "json"])
        let listing = try #require(try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any])
        return try #require(listing["algorithms"] as? [[String: Any]]).compactMap { $0["name"] as? String }.sorted()
    }

    @Test("algorithms lists the built-in modules (and any a user added) with versions, files and parameter defaults")
    func algorithms() throws {
        let table = try CLIProcess.run(["algorithms"])
        #expect(table.status == 0, "\(table.standardError)")
        let lines = table.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("algorithm") == true)
        let names = lines.dropFirst().compactMap { $0.split(separator: " ").first.map(String.init) }
        #expect(names == names.sorted())
        #expect(Set(["history", "item-to-item", "popularity", "random"]).isSubset(of: names))
        #expect(lines.contains { $0.contains("like_boost=2 lookback_days=90") && $0.hasSuffix("libHistory.so") })

        let json = try CLIProcess.run(["algorithms", "--format", "json"])
        let listing = try #require(try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any])
        let algorithms = try #require(listing["algorithms"] as? [[String: Any]])
        let popularity = try #require(algorithms.first { $0["name"] as? String == "popularity" })
        let parameters = try #require(popularity["parameters"] as? [[String: Any]])
        let window = try #require(parameters.first { $0["name"] as? String == "window_days" })
        #expect(window["type"] as? String == "integer")
        #expect((window["default"] as? [String: Any])?["integer"] != nil)
        #expect((listing["refused"] as? [Any])?.isEmpty == true)
    }

    @Test("with no modules beside it, algorithms fails saying where it looked, and validate says it did not check arms")
    func noModules() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // The executable and the contract library it links, without any module.
        let buildDirectory = CLIProcess.executable.deletingLastPathComponent()
        for name in ["armory", "libArmoryKit.so"] {
            try FileManager.default.copyItem(at: buildDirectory.appendingPathComponent(name), to: directory.appendingPathComponent(name))
        }
        let lonely = directory.appendingPathComponent("armory")
        let algorithms = try CLIProcess.run(["algorithms"], executable: lonely, environment: ["ARMORY_MODULES_DIR": "", "ARMORY_PLUGINS_DIR": ""])
        #expect(algorithms.status == 1)
        #expect(algorithms.standardError.contains("no algorithm modules were found in \(directory.path)"))
        #expect(algorithms.standardError.contains("swift build"))

        let validate = try CLIProcess.run(["validate"], executable: lonely, environment: ["ARMORY_MODULES_DIR": "", "ARMORY_PLUGINS_DIR": ""])
        #expect(validate.status == 0)
        #expect(validate.standardError.contains("note: algorithm names and parameters were not checked: no algorithm modules were found"))
    }

    private func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("armory-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test("validate prints located problems and exits 1; one bad file does not hide the good one")
    func validateProblems() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("armory-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "id: good\nobjective: ctr\nfallback: a\narms: [{name: a, algorithm: popularity}, {name: b, algorithm: history}]\n"
            .write(to: directory.appendingPathComponent("good.yaml"), atomically: true, encoding: .utf8)
        try "id: bad\nobjective: ctr\nfallback: a\narms:\n  - name: a\n    algorithm: popularity\n    wieght: 1\n  - name: b\n    algorithm: history\n"
            .write(to: directory.appendingPathComponent("bad.yaml"), atomically: true, encoding: .utf8)

        let output = try CLIProcess.run(["validate", directory.path])
        #expect(output.status == 1)
        #expect(output.standardOutput == "\(directory.path)/bad.yaml:7:5: arms[0]: unknown key 'wieght' (did you mean 'weight'?)\n")
        #expect(output.standardError.contains("2 files checked: 1 valid, 1 problem"))

        let json = try CLIProcess.run(["validate", "--format", "json", directory.path])
        #expect(json.status == 1)
        let report = try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any]
        #expect(report?["valid"] as? Bool == false)
        #expect(report?["algorithms_checked"] as? Bool == true)
        let files = report?["files"] as? [[String: Any]] ?? []
        #expect(files.map { $0["valid"] as? Bool } == [false, true])
        let problem = (files.first?["problems"] as? [[String: Any]])?.first
        #expect(problem?["line"] as? Int == 7 && problem?["column"] as? Int == 5 && problem?["field"] as? String == "arms[0]")

        let missing = try CLIProcess.run(["validate", directory.appendingPathComponent("nope.yaml").path])
        #expect(missing.status == 1)
        #expect(missing.standardOutput.hasSuffix("nope.yaml: no such file or directory\n"))
    }

    @Test("stats prints the posterior table and JSON whose P(best) sums to 1")
    func stats() throws {
        let arguments = ["stats", "--trials", "1000,1000,1000", "--successes", "40,52,47"]
        let table = try CLIProcess.run(arguments)
        #expect(table.status == 0)
        for column in ["arm", "95% interval", "P(best)", "exp. loss", "weight"] { #expect(table.standardOutput.contains(column)) }
        // SciPy: P(best) of arm 2 by quadrature is 0.660084; its 95% interval is [0.03991, 0.06757].
        #expect(table.standardOutput.contains("0.6601"))
        #expect(table.standardOutput.contains("[0.0399, 0.0676]"))

        let json = try CLIProcess.run(arguments + ["--format", "json", "--min-weight", "0.05"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any])
        let arms = try #require(report["arms"] as? [[String: Any]])
        let probabilities = arms.compactMap { $0["probability_best"] as? Double }
        let weights = arms.compactMap { $0["weight"] as? Double }
        #expect(abs(probabilities.reduce(0, +) - 1) < 1e-9)
        #expect(abs(weights.reduce(0, +) - 1) < 1e-9)
        #expect(zip(probabilities, weights).allSatisfy { abs($1 - (0.05 + 0.85 * $0)) < 1e-12 })
    }

    @Test("stats gives uniform weights, and says why, when K·f ≥ 1")
    func statsUniformWhenFloorTakesAll() throws {
        let output = try CLIProcess.run(["stats", "--trials", "1000,1000,1000", "--successes", "40,52,47", "--min-weight", "0.4"])
        #expect(output.status == 0)
        #expect(output.standardOutput.contains("weights uniform (3·0.400 ≥ 1"))
        let weightColumn = output.standardOutput.split(separator: "\n").dropFirst().prefix(3).map { $0.split(separator: " ").last }
        #expect(weightColumn == ["0.3333", "0.3333", "0.3333"])
    }

    @Test("stats refuses impossible counts with a message naming the arm", arguments: [
        (["--trials", "10,10", "--successes", "11,2"], "arm arm-1: need 0 ≤ successes ≤ trials, got 11 of 10"),
        (["--trials", "10,10", "--successes", "1"], "must list the same number of arms"),
        (["--trials", "10,x", "--successes", "1,2"], "--trials: 'x' is not a valid whole number"),
        (["--trials", "10,10", "--successes", "1,2", "--prior", "0,1"], "--prior: give two positive numbers"),
    ])
    func statsRefusesBadInput(arguments: [String], message: String) throws {
        let output = try CLIProcess.run(["stats"] + arguments)
        #expect(output.status != 0)
        #expect(output.standardError.contains(message), "\(output.standardError)")
    }

    @Test("simulate reports regret, final weights and time to confidence")
    func simulate() throws {
        let output = try CLIProcess.run(["simulate", "--true-rates", "0.04,0.05,0.06", "--decisions", "20000", "--runs", "3",
                                         "--format", "json"])
        #expect(output.status == 0, "\(output.standardError)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8)) as? [String: Any])
        #expect(report["runs"] as? Int == 3)
        let regret = try #require(report["cumulative_regret"] as? [String: Double])
        // An even split loses 0.01 clicks per decision, 200 in 20000; Thompson must lose less.
        #expect(regret["mean"]! > 0 && regret["mean"]! < 200)
        let arms = try #require(report["arms"] as? [[String: Any]])
        let finalWeights = arms.compactMap { ($0["final_weight"] as? [String: Double])?["mean"] }
        #expect(finalWeights.count == 3 && finalWeights[2] > finalWeights[0])

        let bad = try CLIProcess.run(["simulate", "--true-rates", "0.5,1.5"])
        #expect(bad.status != 0 && bad.standardError.contains("each rate must be in [0, 1]"))
    }
}

@Suite("armory demo seed, run as a process")
struct DemoSeedCommandTests {
    @Test("seeds a SQLite file, refuses to seed it twice, and replaces it on request")
    func seedSQLite() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("armory-seed-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("state.sqlite").path
        let arguments = ["demo", "seed", "--movies", "200", "--users", "300", "--seed", "5", "--database", file]
        let first = try CLIProcess.run(arguments)
        #expect(first.status == 0, "\(first.standardError)")
        #expect(first.standardOutput.hasPrefix("seeded SQLite file \(file): 200 movies, 300 users, "))

        let again = try CLIProcess.run(arguments)
        #expect(again.status == 1)
        #expect(again.standardError.hasPrefix("error: SQLite file \(file) already holds 200 movies and "))
        #expect(again.standardError.hasSuffix("add --replace to clear them first\n"))

        let replaced = try CLIProcess.run(arguments + ["--replace"])
        #expect(replaced.status == 0)
        // Same seed, same data: the same counts as the first time.
        let counts = { (text: String) in text.split(separator: " in ").first.map(String.init) }
        #expect(counts(replaced.standardOutput) == counts(first.standardOutput))
    }

    @Test("an unreachable database is one line naming it, without the password, and exit 1")
    func unreachable() throws {
        let output = try CLIProcess.run(["demo", "seed", "--database", "postgres://armory:s3cret-pw@127.0.0.1:1/armory"])
        #expect(output.status == 1)
        #expect(output.standardError == "error: cannot reach PostgreSQL at 127.0.0.1:1, database armory: connection refused (is the server running, and on this port?)\n")
    }
}
