import ArmoryCore
import Foundation

/// What `armory simulate` prints: means and standard deviations over runs.
struct SimulationReport: Encodable {
    struct Summary: Encodable {
        var mean: Double
        var standardDeviation: Double

        init(_ values: [Double]) {
            let n = Double(values.count)
            let average = values.reduce(0, +) / n
            let squares = values.reduce(0) { $0 + ($1 - average) * ($1 - average) }
            mean = average
            standardDeviation = values.count > 1 ? (squares / (n - 1)).squareRoot() : 0
        }
    }

    struct Arm: Encodable {
        var trueRate: Double
        var finalWeight: Summary
    }

    var policy: String
    var decisionsPerRun: Int
    var runs: Int
    var cumulativeRegret: Summary
    var arms: [Arm]
    /// Runs in which the best arm reached P(best) ≥ 0.95.
    var runsReachingConfidence: Int
    /// Decisions until it did, over those runs.
    var decisionsToConfidence: Summary?
    /// How Thompson totalled rates.
    var rates: String
    /// With a guardrail: the runs in which it acted, and the median decisions until it did.
    var guardrailActions: Int?
    var medianDecisionsToGuardrail: Double?
    /// The runs whose sample-ratio check ended below p = 0.001, and the leak simulated.
    var sampleRatioMismatches: Int
    var leak: Double
    var seconds: Double

    init(rates: [Double], configuration: BanditSimulation.Configuration, decisions: Int, runs: [BanditSimulation.Run], seconds: Double) {
        policy = configuration.policy.rawValue
        self.rates = configuration.bandit.rates.rawValue
        leak = configuration.leak
        sampleRatioMismatches = runs.filter { ($0.sampleRatioPValue ?? 1) < 0.001 }.count
        if configuration.guardrail != nil {
            let detected = runs.compactMap(\.decisionsToGuardrail).sorted()
            guardrailActions = detected.count
            medianDecisionsToGuardrail = detected.isEmpty ? nil
                : Double(detected[(detected.count - 1) / 2] + detected[detected.count / 2]) / 2
        }
        decisionsPerRun = decisions
        self.runs = runs.count
        cumulativeRegret = Summary(runs.map(\.cumulativeRegret))
        arms = rates.indices.map { index in
            Arm(trueRate: rates[index], finalWeight: Summary(runs.map { $0.finalWeights[index] }))
        }
        let reached = runs.compactMap(\.decisionsToConfidence).map(Double.init)
        runsReachingConfidence = reached.count
        decisionsToConfidence = reached.isEmpty ? nil : Summary(reached)
        self.seconds = seconds
    }

    var text: String {
        var table = TextTable(header: ["arm", "true rate", "final weight", "± sd"])
        for (index, arm) in arms.enumerated() {
            table.rows.append(["arm-\(index + 1)", fixed(arm.trueRate, 4), fixed(arm.finalWeight.mean, 4),
                               fixed(arm.finalWeight.standardDeviation, 4)])
        }
        var lines = [
            "policy \(policy) (\(rates) rates), \(runs) runs of \(decisionsPerRun) decisions (\(fixed(seconds, 2)) s)",
            "cumulative regret: \(fixed(cumulativeRegret.mean, 1)) ± \(fixed(cumulativeRegret.standardDeviation, 1)) clicks (mean ± sd over runs)",
            table.rendered,
        ]
        if let decisionsToConfidence {
            lines.append("best arm reached P(best) ≥ 0.95 in \(runsReachingConfidence)/\(runs) runs, after "
                + "\(Int(decisionsToConfidence.mean.rounded())) ± \(Int(decisionsToConfidence.standardDeviation.rounded())) decisions")
        } else {
            lines.append("best arm never reached P(best) ≥ 0.95 within \(decisionsPerRun) decisions")
        }
        if let guardrailActions {
            lines.append("guardrail acted in \(guardrailActions)/\(runs) runs"
                + (medianDecisionsToGuardrail.map { ", after a median of \(Int($0.rounded())) decisions" } ?? ""))
        }
        lines.append("sample-ratio check p < 0.001 at the end of \(sampleRatioMismatches)/\(runs) runs"
            + (leak > 0 ? " (\(fixed(leak * 100, 1))% of decisions logged under arm-1)" : ""))
        return lines.joined(separator: "\n")
    }
}
