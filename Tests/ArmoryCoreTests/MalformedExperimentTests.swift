@testable import ArmoryCore
import Foundation
import Testing

/// One malformed experiment file and the problem line `armory validate` must print for it.
struct MalformedCase: Sendable, CustomTestStringConvertible {
    let name: String
    let yaml: String
    let expected: String
    var testDescription: String { name }
}

/// A valid fixed-split experiment; each case below breaks one thing in it.
let validYAML = """
id: rail
objective: ctr
fallback: a
arms:
  - name: a
    algorithm: popularity
    weight: 0.5
  - name: b
    algorithm: history
    weight: 0.5
"""

let thompsonYAML = validYAML.replacingOccurrences(of: "objective: ctr", with: "objective: ctr\npolicy: thompson")

let malformedCases: [MalformedCase] = [
    MalformedCase(name: "typo in a top-level key", yaml: validYAML.replacingOccurrences(of: "objective:", with: "objectve:"),
                  expected: "rail.yaml:2:1: unknown key 'objectve' (did you mean 'objective'?)"),
    MalformedCase(name: "typo in an arm key", yaml: validYAML.replacingOccurrences(of: "    weight: 0.5\n  - name: b", with: "    weigth: 0.5\n  - name: b"),
                  expected: "rail.yaml:7:5: arms[0]: unknown key 'weigth' (did you mean 'weight'?)"),
    MalformedCase(name: "weight is a word", yaml: validYAML.replacingOccurrences(of: "    weight: 0.5\n  - name: b", with: "    weight: half\n  - name: b"),
                  expected: "rail.yaml:7:13: arms[0].weight: must be a number, not a string ('half')"),
    MalformedCase(name: "weight is quoted", yaml: validYAML.replacingOccurrences(of: "    weight: 0.5\n  - name: b", with: "    weight: \"0.5\"\n  - name: b"),
                  expected: "rail.yaml:7:13: arms[0].weight: must be a number, not a string ('0.5')"),
    MalformedCase(name: "weights sum below 1", yaml: validYAML.replacingOccurrences(of: "weight: 0.5\n  - name: b", with: "weight: 0.4\n  - name: b"),
                  expected: "rail.yaml:5:3: arms: arm weights sum to 0.9, not 1 (±1e-6)"),
    MalformedCase(name: "negative weight", yaml: validYAML.replacingOccurrences(of: "weight: 0.5\n  - name: b", with: "weight: -0.5\n  - name: b"),
                  expected: "rail.yaml:7:13: arms[0].weight: must be between 0 and 1, not -0.5"),
    MalformedCase(name: "duplicate arm names", yaml: validYAML.replacingOccurrences(of: "name: b", with: "name: a"),
                  expected: "rail.yaml:8:11: arms[1].name: duplicate arm name 'a' (first used at line 5)"),
    MalformedCase(name: "fallback names no arm", yaml: validYAML.replacingOccurrences(of: "fallback: a", with: "fallback: c"),
                  expected: "rail.yaml:3:11: fallback: names no arm: 'c' is not one of 'a', 'b'"),
    MalformedCase(name: "fallback missing", yaml: validYAML.replacingOccurrences(of: "fallback: a\n", with: ""),
                  expected: "rail.yaml:1:1: missing required key 'fallback'"),
    MalformedCase(name: "id with capitals and underscore", yaml: validYAML.replacingOccurrences(of: "id: rail", with: "id: Home_Rail"),
                  expected: "rail.yaml:1:5: id: 'Home_Rail' is not a valid id: use 1 to 64 lower-case letters, digits and '-'"),
    MalformedCase(name: "id longer than 64", yaml: validYAML.replacingOccurrences(of: "id: rail", with: "id: " + String(repeating: "r", count: 65)),
                  expected: "rail.yaml:1:5: id: '\(String(repeating: "r", count: 65))' is not a valid id: use 1 to 64 lower-case letters, digits and '-'"),
    MalformedCase(name: "duration without a unit", yaml: thompsonYAML + "\nbandit:\n  update_every: 5 minutes\n",
                  expected: "rail.yaml:13:17: bandit.update_every: must be a duration such as 90s, 5m, 2h or 1d (a whole number and ms, s, m, h or d), not a string ('5 minutes')"),
    MalformedCase(name: "fractional duration", yaml: thompsonYAML + "\nbandit:\n  burn_in: { min_duration: 1.5h }\n",
                  expected: "rail.yaml:13:28: bandit.burn_in.min_duration: must be a duration such as 90s, 5m, 2h or 1d (a whole number and ms, s, m, h or d), not a string ('1.5h')"),
    MalformedCase(name: "time budget of zero", yaml: validYAML + "\ntime_budget: 0ms\n",
                  expected: "rail.yaml:11:14: time_budget: must be between 1ms and 60s (how long an arm's module may take per request), not 0s"),
    MalformedCase(name: "time budget over a minute", yaml: validYAML + "\ntime_budget: 2m\n",
                  expected: "rail.yaml:11:14: time_budget: must be between 1ms and 60s (how long an arm's module may take per request), not 2m"),
    MalformedCase(name: "bandit settings on a fixed split", yaml: validYAML + "\nbandit:\n  min_weight: 0.1\n",
                  expected: "rail.yaml:11:1: bandit: bandit settings apply only to 'policy: thompson'; this experiment's policy is fixed"),
    MalformedCase(name: "unknown objective", yaml: validYAML.replacingOccurrences(of: "objective: ctr", with: "objective: clicks"),
                  expected: "rail.yaml:2:12: objective: must be one of ctr | conversion | engagement, not a string ('clicks')"),
    MalformedCase(name: "unknown policy", yaml: validYAML.replacingOccurrences(of: "objective: ctr", with: "objective: ctr\npolicy: ucb"),
                  expected: "rail.yaml:3:9: policy: must be one of fixed | thompson, not a string ('ucb')"),
    MalformedCase(name: "coverage above 1", yaml: validYAML.replacingOccurrences(of: "fallback: a", with: "fallback: a\ncoverage: 1.5"),
                  expected: "rail.yaml:4:11: coverage: must be between 0 and 1 (the share of units in the experiment), not 1.5"),
    MalformedCase(name: "arms is a mapping", yaml: "id: rail\nobjective: ctr\nfallback: a\narms:\n  a: popularity\n",
                  expected: "rail.yaml:5:3: arms: must be a list of arms (each '- name: …'), not a mapping"),
    MalformedCase(name: "a single arm", yaml: "id: rail\nobjective: ctr\nfallback: a\narms:\n  - name: a\n    algorithm: popularity\n",
                  expected: "rail.yaml:5:3: arms: an experiment needs at least 2 arms, found 1"),
    MalformedCase(name: "unclosed flow mapping", yaml: validYAML.replacingOccurrences(of: "algorithm: history", with: "algorithm: history\n    params: { like_boost: 2.0"),
                  expected: "rail.yaml:11:11: YAML syntax error: did not find expected ',' or '}' while parsing a flow mapping (which began at line 10, column 13)"),
    MalformedCase(name: "tab indentation", yaml: validYAML.replacingOccurrences(of: "    algorithm: popularity", with: "\talgorithm: popularity"),
                  expected: "rail.yaml:6:1: YAML syntax error: found a tab character that violates indentation while scanning a plain scalar (which began at line 5, column 11)"),
    MalformedCase(name: "duplicate key", yaml: validYAML + "\nid: other\n",
                  expected: "rail.yaml:1:1: duplicate key 'id' in the mapping that begins here; each key may appear once"),
    MalformedCase(name: "document is a list", yaml: "- id: rail\n- objective: ctr\n",
                  expected: "rail.yaml:1:1: must be a mapping of keys to values, not a list"),
    MalformedCase(name: "floor of 1 or more", yaml: thompsonYAML + "\nbandit:\n  min_weight: 1.5\n",
                  expected: "rail.yaml:13:15: bandit.min_weight: must be at least 0 and below 1 (the share every arm keeps), not 1.5"),
    MalformedCase(name: "zero prior", yaml: thompsonYAML + "\nbandit:\n  prior: { alpha: 0, beta: 1 }\n",
                  expected: "rail.yaml:13:19: bandit.prior.alpha: must be above 0 and at most 1000000, not 0.0"),
    MalformedCase(name: "Beta prior on engagement",
                  yaml: thompsonYAML.replacingOccurrences(of: "objective: ctr", with: "objective: engagement") + "\nbandit:\n  prior: { alpha: 1, beta: 1 }\n",
                  expected: "rail.yaml:13:3: bandit.prior: a Beta prior applies to the ctr and conversion objectives, not to engagement"),
    MalformedCase(name: "nested parameter value", yaml: validYAML.replacingOccurrences(of: "algorithm: history", with: "algorithm: history\n    params: { like_boost: { x: 1 } }"),
                  expected: "rail.yaml:10:27: arms[1].params.like_boost: must be a string, number or boolean, not a mapping"),
    MalformedCase(name: "unknown burn-in key", yaml: thompsonYAML + "\nbandit:\n  burn_in: { min_trials: 10 }\n",
                  expected: "rail.yaml:13:14: bandit.burn_in: unknown key 'min_trials' (did you mean 'min_trials_per_arm'?)"),
    MalformedCase(name: "unknown status", yaml: validYAML + "\nstatus: stopped\n",
                  expected: "rail.yaml:11:9: status: must be one of running | paused, not a string ('stopped')"),
    MalformedCase(name: "some weights missing", yaml: validYAML.replacingOccurrences(of: "    weight: 0.5\n  - name: b", with: "  - name: b"),
                  expected: "rail.yaml:5:5: arms[0]: has no weight while other arms do: give every arm a weight, or none for an even split"),
    MalformedCase(name: "empty seed", yaml: validYAML + "\nseed: ''\n",
                  expected: "rail.yaml:11:7: seed: must be a non-empty string of at most 256 characters, not an empty string"),
    MalformedCase(name: "two documents", yaml: validYAML + "\n---\n" + validYAML,
                  expected: "rail.yaml:11:1: file holds more than one YAML document ('---'); put one experiment per file"),
    MalformedCase(name: "negative burn-in trials", yaml: thompsonYAML + "\nbandit:\n  burn_in: { min_trials_per_arm: -5 }\n",
                  expected: "rail.yaml:13:34: bandit.burn_in.min_trials_per_arm: must not be negative, not -5"),
    MalformedCase(name: "guardrail metric unknown", yaml: validYAML + "\nguardrails:\n  - metric: revenue\n",
                  expected: "rail.yaml:12:13: guardrails[0].metric: must be one of ctr | conversion | engagement | error_rate | timeout_rate | fallback_rate, not a string ('revenue')"),
    MalformedCase(name: "guardrail reference names no arm", yaml: validYAML + "\nguardrails:\n  - metric: error_rate\n    reference: bb\n",
                  expected: "rail.yaml:13:16: guardrails[0].reference: names no arm: 'bb' is not one of 'a', 'b' (did you mean 'b'?)"),
    MalformedCase(name: "guardrail tolerance not a percentage", yaml: validYAML + "\nguardrails:\n  - metric: conversion\n    tolerance: ten%\n",
                  expected: "rail.yaml:13:16: guardrails[0].tolerance: must be a percentage between 0% and 1000% (a change relative to the reference), not 'ten%'"),
    MalformedCase(name: "guardrail absolute tolerance above 1 for a rate", yaml: validYAML + "\nguardrails:\n  - metric: conversion\n    tolerance: 5\n",
                  expected: "rail.yaml:13:16: guardrails[0].tolerance: must be at least 0 and at most 1 (a difference of rates), not 5.0; write a change relative to the reference as a percentage, e.g. 10%"),
    MalformedCase(name: "guardrail minimum too small", yaml: validYAML + "\nguardrails:\n  - metric: ctr\n    min_trials: 5\n",
                  expected: "rail.yaml:13:17: guardrails[0].min_trials: must be between 30 and 100000000 (the test's normal approximation needs at least 30 trials per arm), not 5"),
    MalformedCase(name: "guardrail action unknown", yaml: validYAML + "\nguardrails:\n  - metric: ctr\n    action: rollback\n",
                  expected: "rail.yaml:13:13: guardrails[0].action: must be one of alert | drop_arm | pause, not a string ('rollback')"),
    MalformedCase(name: "safety alpha out of range", yaml: validYAML + "\nsafety:\n  alpha: 2\n",
                  expected: "rail.yaml:12:10: safety.alpha: must be between 0.000001 and 0.5 (the chance of any false action), not 2.0"),
    MalformedCase(name: "rate weighting unknown", yaml: thompsonYAML + "\nbandit:\n  rates: weighted\n",
                  expected: "rail.yaml:13:10: bandit.rates: must be one of pooled | period_weighted, not a string ('weighted')"),
]

@Suite("Malformed experiment files are refused with located messages")
struct MalformedExperimentTests {
    @Test("each case reports its problem at its line and column", arguments: malformedCases)
    func reportsLocatedProblem(testCase: MalformedCase) {
        let result = ExperimentValidator(algorithms: nil).validate([ExperimentSource(path: "rail.yaml", text: testCase.yaml)])[0]
        #expect(result.experiment == nil)
        let lines = result.problems.map(\.description)
        #expect(lines.contains(testCase.expected), "got:\n\(lines.joined(separator: "\n"))")
    }

    @Test("the valid base case has no problems (so each case fails for its own reason)")
    func baseIsValid() {
        for yaml in [validYAML, thompsonYAML] {
            let result = ExperimentValidator(algorithms: nil).validate([ExperimentSource(path: "rail.yaml", text: yaml)])[0]
            #expect(result.problems.isEmpty, "\(result.problems)")
            #expect(result.experiment != nil)
        }
    }
}
