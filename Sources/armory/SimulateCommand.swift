import ArgumentParser
import ArmoryCore
import Foundation

/// `armory simulate`: an offline Bernoulli bandit through the worker's policy code.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Simulate a policy on arms with known click rates: regret, final weights, time to 95% P(best).",
        discussion: "Example: armory simulate --true-rates 0.04,0.05,0.06 --decisions 100000 --batch 1000 --runs 20"
    )

    @Option(help: "Each arm's true success rate, comma-separated.")
    var trueRates: String

    @Option(help: "Decisions per run.")
    var decisions: Int = 100_000

    @Option(help: "Decisions between weight updates.")
    var batch: Int = 1_000

    @Option(help: "Independent runs.")
    var runs: Int = 20

    @Option(help: "Policy: thompson or fixed (an even split, for comparison).")
    var policy: PolicyKind = .thompson

    @Option(help: "Thompson floor f: each arm keeps at least f of the traffic.")
    var minWeight: Double = 0.01

    @Option(help: "Trials every arm needs before the first update.")
    var burnIn: Int = 100

    @Option(help: "Seed of the first run (run i uses seed + i).")
    var seed: UInt64 = 1

    @Option(help: "Output format: table or json.")
    var format: OutputFormat = .table

    func run() throws {
        let rates = try parseList(trueRates, option: "--true-rates", as: Double.self)
        guard rates.count >= 2 else { throw ValidationError("--true-rates: give at least two arms") }
        guard rates.allSatisfy({ $0 >= 0 && $0 <= 1 }) else { throw ValidationError("--true-rates: each rate must be in [0, 1]") }
        guard decisions > 0, batch > 0, runs > 0 else { throw ValidationError("--decisions, --batch and --runs must be positive") }
        guard decisions <= 100_000_000, runs <= 10_000 else {
            throw ValidationError("at most 100000000 decisions and 10000 runs")
        }
        guard minWeight >= 0, minWeight < 1 else { throw ValidationError("--min-weight must be at least 0 and below 1") }
        guard burnIn >= 0 else { throw ValidationError("--burn-in must not be negative") }

        let simulation = BanditSimulation(.init(
            trueRates: rates, decisions: decisions, batchSize: batch, runs: runs, policy: policy,
            bandit: BanditSettings(minTrialsPerArm: burnIn, minWeight: minWeight), seed: seed
        ))
        let progress = ProgressBar(total: runs, label: "runs")
        let started = Date()
        let results = simulation.runAll(progress: progress.update)
        let report = SimulationReport(rates: rates, policy: policy, decisions: decisions, runs: results,
                                      seconds: Date().timeIntervalSince(started))
        switch format {
        case .json: try printJSON(report)
        case .table: print(report.text)
        }
    }
}

extension PolicyKind: ExpressibleByArgument {}

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
    var seconds: Double

    init(rates: [Double], policy: PolicyKind, decisions: Int, runs: [BanditSimulation.Run], seconds: Double) {
        self.policy = policy.rawValue
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
            "policy \(policy), \(runs) runs of \(decisionsPerRun) decisions (\(fixed(seconds, 2)) s)",
            "cumulative regret: \(fixed(cumulativeRegret.mean, 1)) ± \(fixed(cumulativeRegret.standardDeviation, 1)) clicks (mean ± sd over runs)",
            table.rendered,
        ]
        if let decisionsToConfidence {
            lines.append("best arm reached P(best) ≥ 0.95 in \(runsReachingConfidence)/\(runs) runs, after "
                + "\(Int(decisionsToConfidence.mean.rounded())) ± \(Int(decisionsToConfidence.standardDeviation.rounded())) decisions")
        } else {
            lines.append("best arm never reached P(best) ≥ 0.95 within \(decisionsPerRun) decisions")
        }
        return lines.joined(separator: "\n")
    }
}
