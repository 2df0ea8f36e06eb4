import ArmoryKit
@testable import ArmoryCore
import Foundation
import Testing

@Suite("Experiment files: decoding, algorithm checks, cross-file checks, hostile input")
struct ExperimentDecoderTests {
    static let descriptors = [
        AlgorithmDescriptor(name: "popularity", version: "1.0.0", parameters: [
            ParameterSpec(name: "genre", type: .string, defaultValue: .string("")),
            ParameterSpec(name: "window_days", type: .integer, defaultValue: .integer(7), minimum: 1, maximum: 365),
        ]),
        AlgorithmDescriptor(name: "history", version: "1.0.0", parameters: [
            ParameterSpec(name: "like_boost", type: .number, defaultValue: .number(2), minimum: 0),
            ParameterSpec(name: "lookback_days", type: .integer, defaultValue: .integer(90), minimum: 1),
        ]),
        AlgorithmDescriptor(name: "item-to-item", version: "1.0.0", parameters: [
            ParameterSpec(name: "neighbours", type: .integer, defaultValue: .integer(50), minimum: 1),
        ]),
        AlgorithmDescriptor(name: "needs-key", version: "1.0.0", parameters: [ParameterSpec(name: "key", type: .string)]),
    ]

    func decode(_ yaml: String, algorithms: [AlgorithmDescriptor]? = descriptors) -> ExperimentFileResult {
        ExperimentValidator(algorithms: algorithms).validate([ExperimentSource(path: "e.yaml", text: yaml)])[0]
    }

    @Test("the files in experiments/ decode (their algorithms are checked against the built modules by the CLI's tests)")
    func examplesDecode() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../experiments").path
        let (sources, problems) = ExperimentFiles.read([directory])
        #expect(problems.isEmpty)
        #expect(sources.count >= 2)
        // Any algorithm: a user's own experiments may use their own modules.
        for result in ExperimentValidator(algorithms: nil).validate(sources) {
            #expect(result.problems.isEmpty, "\(result.problems)")
        }
    }

    @Test("a Thompson experiment decodes into typed values")
    func decodesThompson() throws {
        let result = decode("""
        id: row
        description: three arms
        objective: conversion
        policy: thompson
        coverage: 0.9
        fallback: pop
        seed: 2026
        status: paused
        time_budget: 120ms
        arms:
          - { name: pop, algorithm: popularity, weight: 0.5, params: { genre: Drama, window_days: 30 } }
          - { name: mine, algorithm: history, weight: 0.25, params: { like_boost: 3 } }
          - { name: co, algorithm: item-to-item, weight: 0.25 }
        bandit:
          update_every: 90s
          burn_in: { min_trials_per_arm: 250, min_duration: 2h }
          min_weight: 0.05
          prior: { alpha: 2, beta: 38 }
        """)
        let experiment = try #require(result.experiment, "\(result.problems)")
        #expect(experiment.id == "row" && experiment.objective == .conversion && experiment.policy == .thompson)
        #expect(experiment.coverage == 0.9 && experiment.seed == "2026" && experiment.status == .paused)
        #expect(experiment.timeBudget == .milliseconds(120))
        #expect(experiment.arms.map(\.name) == ["pop", "mine", "co"])
        #expect(experiment.weights == [0.5, 0.25, 0.25])
        #expect(experiment.arms[0].parameters == ["genre": .string("Drama"), "window_days": .integer(30)])
        #expect(experiment.arms[1].parameters == ["like_boost": .integer(3)])
        #expect(experiment.bandit == BanditSettings(updateEvery: .seconds(90), minTrialsPerArm: 250, minDuration: .seconds(7_200),
                                                    minWeight: 0.05, prior: BetaPrior(alpha: 2, beta: 38)))
    }

    @Test("durations: ms, s, m, h, d, and back to text in the largest unit that divides them")
    func durations() {
        #expect(DurationText.parse("50ms") == .milliseconds(50))
        #expect(DurationText.parse("90s") == .seconds(90))
        #expect(DurationText.parse("5m") == .seconds(300))
        #expect(DurationText.parse("2h") == .seconds(7_200))
        #expect(DurationText.parse("1d") == .seconds(86_400))
        for bad in ["", "s", "ms", "5", "1.5h", "-5m", "5 m", "5M", "5w", "99999999999999d"] {
            #expect(DurationText.parse(bad) == nil, "\(bad)")
        }
        #expect(["50ms", "1500ms", "90s", "5m", "2h", "1d"].map { DurationText.format(DurationText.parse($0)!) }
                == ["50ms", "1500ms", "90s", "5m", "2h", "1d"])
        #expect(DurationText.format(.seconds(0)) == "0s")
    }

    @Test("defaults: fixed policy, full coverage, seed = id, running, even split, bandit defaults")
    func defaults() throws {
        let experiment = try #require(decode("""
        id: plain
        objective: ctr
        policy: thompson
        fallback: a
        arms: [{ name: a, algorithm: popularity }, { name: b, algorithm: history }, { name: c, algorithm: history }]
        """).experiment)
        #expect(experiment.seed == "plain" && experiment.coverage == 1 && experiment.status == .running && experiment.unit == "user_id")
        #expect(experiment.timeBudget == .milliseconds(50))
        let third: Double = 1.0 / 3
        #expect(experiment.weights == [third, third, third])
        #expect(experiment.bandit == BanditSettings())
    }

    @Test("guardrails, safety and rate weighting decode into typed values, with defaults where the file is silent")
    func decodesGuardrails() throws {
        let experiment = try #require(decode("""
        id: guarded
        objective: ctr
        policy: thompson
        fallback: a
        arms: [{ name: a, algorithm: popularity }, { name: b, algorithm: history }]
        bandit: { rates: period_weighted }
        guardrails:
          - { metric: conversion, tolerance: 10%, action: drop_arm }
          - { metric: error_rate, tolerance: 0.02, reference: b, action: pause, min_trials: 200 }
          - metric: engagement
            direction: lower_is_better
        safety: { alpha: 0.01, on_mismatch: pause, mismatch_p_value: 0.0001 }
        """).experiment)
        #expect(experiment.guardrails == [
            Guardrail(metric: .conversion, direction: .higherIsBetter, tolerance: .relative(0.1), action: .dropArm),
            Guardrail(metric: .errorRate, direction: .lowerIsBetter, tolerance: .absolute(0.02), reference: "b", action: .pause, minTrials: 200),
            Guardrail(metric: .engagement, direction: .lowerIsBetter, tolerance: .absolute(0), action: .alert, minTrials: 1_000),
        ])
        #expect(experiment.safety == SafetySettings(alpha: 0.01, onMismatch: .pause, mismatchPValue: 0.0001))
        #expect(experiment.bandit?.rates == .periodWeighted && experiment.rateWeighting == .periodWeighted)

        // Stored before guardrails existed: the JSON without the new keys still reads.
        var stored = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(experiment)) as! [String: Any]
        stored["guardrails"] = nil
        stored["safety"] = nil
        var bandit = stored["bandit"] as! [String: Any]
        bandit["rates"] = nil
        stored["bandit"] = bandit
        let old = try JSONDecoder().decode(Experiment.self, from: try JSONSerialization.data(withJSONObject: stored))
        #expect(old.guardrails.isEmpty && old.safety == SafetySettings() && old.bandit?.rates == .pooled)
    }

    @Test("arms are checked against the algorithm descriptors")
    func algorithmChecks() {
        let result = decode("""
        id: checks
        objective: ctr
        fallback: a
        arms:
          - name: a
            algorithm: popularty
          - name: b
            algorithm: history
            params: { like_bost: 2, lookback_days: 0.5 }
          - name: c
            algorithm: popularity
            params: { window_days: 1000, genre: 7 }
          - name: d
            algorithm: needs-key
        """)
        let lines = Set(result.problems.map(\.description))
        #expect(result.experiment == nil)
        #expect(lines.contains("e.yaml:6:16: arms[0].algorithm: unknown algorithm 'popularty' (did you mean 'popularity'?); loaded: history, item-to-item, needs-key, popularity"))
        #expect(lines.contains("e.yaml:9:26: arms[1].params.like_bost: algorithm 'history' has no parameter 'like_bost' (did you mean 'like_boost'?); it takes: like_boost, lookback_days"))
        #expect(lines.contains("e.yaml:9:44: arms[1].params.lookback_days: parameter 'lookback_days' must be an integer, not a number"))
        #expect(lines.contains("e.yaml:12:28: arms[2].params.window_days: parameter 'window_days' must be at most 365, not 1000"))
        #expect(lines.contains("e.yaml:12:41: arms[2].params.genre: parameter 'genre' must be a string, not an integer"))
        #expect(lines.contains("e.yaml:14:16: arms[3].params: algorithm 'needs-key' needs parameter 'key' (a string)"))
        #expect(result.problems.count == 6, "\(lines.sorted())")
    }

    @Test("without descriptors, algorithm names and parameters pass unchecked")
    func noDescriptors() {
        let result = decode("id: x\nobjective: ctr\nfallback: a\narms: [{name: a, algorithm: anything}, {name: b, algorithm: else, params: {z: 1}}]",
                            algorithms: nil)
        #expect(result.problems.isEmpty)
    }

    @Test("every problem in a file is reported at once")
    func reportsAll() {
        let result = decode("id: Bad\nobjective: clicks\nfallback: z\ncoverage: 2\nextra: 1\narms: [{name: a, algorithm: popularity, weight: 0.2}, {name: b, algorithm: history, weight: 0.2}]")
        #expect(result.problems.count == 6, "\(result.problems.map(\.description))")
    }

    @Test("a duplicate id refuses the later file and keeps the first")
    func duplicateIDs() {
        let yaml = "id: same\nobjective: ctr\nfallback: a\narms: [{name: a, algorithm: popularity}, {name: b, algorithm: history}]\n"
        let results = ExperimentValidator(algorithms: nil).validate([
            ExperimentSource(path: "b.yaml", text: yaml), ExperimentSource(path: "a.yaml", text: "# first\n" + yaml),
        ])
        #expect(results[1].experiment != nil)
        #expect(results[0].experiment == nil)
        #expect(results[0].problems.map(\.description) == ["b.yaml:1:5: id: duplicate experiment id 'same': a.yaml:2 already declares it"])
    }

    @Test("empty, blank, binary and oversized files are refused with one clear line")
    func hostileFiles() {
        func problem(_ data: Data) -> String {
            let result = ExperimentDecoder(algorithms: nil).decode(ExperimentSource(path: "h.yaml", contents: data))
            #expect(result.experiment == nil)
            return result.problems.map(\.description).joined(separator: " | ")
        }
        #expect(problem(Data()) == "h.yaml: file is empty; it should hold one experiment (see experiments/ for examples)")
        #expect(problem(Data("\n   \n# only a comment\n".utf8))
                == "h.yaml: file holds no YAML document (only blank lines or comments); it should hold one experiment")
        var garbage = Xoshiro256StarStar(seed: 1)
        let binary = Data((0..<4_096).map { _ in UInt8(truncatingIfNeeded: garbage.next()) })
        #expect(problem(binary).hasSuffix("an experiment file must be UTF-8 text, and this looks like a binary file"))
        #expect(problem(Data("id: x\nname: caf\u{e9}\n".utf8) + Data([0xFF])) == "h.yaml:3:1: invalid UTF-8 byte 0xFF; an experiment file must be UTF-8 text, and this looks like a binary file")
        #expect(problem(Data("id: a\u{0}b\n".utf8)) == "h.yaml:1:6: NUL byte; an experiment file must be UTF-8 text, and this looks like a binary file")
        let big = Data(repeating: UInt8(ascii: "#"), count: 10 * 1_048_576)
        #expect(problem(big) == "h.yaml: file is 10 MiB; an experiment file may be at most 1 MiB")
    }

    @Test("a 10 MB file on disk is refused without being read whole")
    func oversizedFileOnDisk() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("armory-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("huge.yaml").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data(repeating: 0x23, count: 10_000_000)))
        let (sources, problems) = ExperimentFiles.read([directory.path])
        #expect(sources.isEmpty)
        #expect(problems.map(\.description) == ["\(path): file is 9.5 MiB; an experiment file may be at most 1 MiB"])
        #expect(ExperimentFiles.read([directory.path + "/missing.yaml"]).problems.map(\.message) == ["no such file or directory"])
    }

    /// "Billion laughs" documents: nine levels of aliases, each ten times the last, used as a
    /// value and (worse) as a mapping key, which makes the YAML library hash 10^8 nodes. Both
    /// must be refused at once, at the first anchor.
    @Test("alias bombs are refused at the first anchor, in bounded time", .timeLimit(.minutes(1)),
          arguments: ["arms: *l8\ndescription: *l8\n", "? *l8\n: x\n", "? [*l8, *l7]\n: y\n"])
    func aliasBomb(tail: String) {
        var yaml = "id: bomb\nobjective: ctr\nlol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in 1...8 {
            yaml += "lol\(level): &l\(level) [\(Array(repeating: "*l\(level - 1)", count: 10).joined(separator: ", "))]\n"
        }
        let started = ContinuousClock.now
        let result = decode(yaml + tail)
        #expect(ContinuousClock.now - started < .seconds(2))
        #expect(result.problems.map(\.description) == [
            "e.yaml:3:7: YAML anchors (&name) and aliases (*name) are not supported in experiment files; write the values out",
        ])
    }

    @Test("ampersands in text, quotes and comments are not anchors", arguments: [
        "description: Tom & Jerry", "description: 'a: &b'", "description: \"x, &y\"", "description: ok # see: &x",
        "description: R&D", "description: 'it''s: &fine'",
    ])
    func ampersandsThatAreNotAnchors(line: String) {
        let result = decode("id: amp\nobjective: ctr\nfallback: a\narms: [{name: a, algorithm: popularity}, {name: b, algorithm: history}]\n" + line + "\n")
        #expect(result.problems.isEmpty, "\(result.problems)")
    }

    @Test("anchors where a node begins are found", arguments: [
        ("base: &b 1", 1, 7), ("- &x item", 1, 3), ("k: [1, &a 2]", 1, 8), ("k: {a: &z 1}", 1, 8), ("  &top\n  key: 1", 1, 3),
    ])
    func anchorsFound(text: String, line: Int, column: Int) {
        let found = AnchorScanner.firstAnchor(in: text)
        #expect(found?.line == line && found?.column == column)
    }
}
