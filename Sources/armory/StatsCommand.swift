import ArgumentParser
import ArmoryCore
import Foundation

/// `armory stats`: the posterior calculator, on any counts.
struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Per arm: posterior mean, 95% interval, P(best), expected loss and Thompson weights.",
        discussion: """
        Example: armory stats --trials 1000,1000,1000 --successes 40,52,47
        P(best) is computed exactly (numerical integration); add --monte-carlo N to cross-check it with N seeded draws.
        """
    )

    @Option(help: "Trials (decisions) per arm, comma-separated.")
    var trials: String

    @Option(help: "Successes (decisions with a click or conversion) per arm, comma-separated.")
    var successes: String

    @Option(help: "Arm names, comma-separated (default: arm-1, arm-2, …).")
    var names: String?

    @Option(help: "Beta prior as alpha,beta.")
    var prior: String = "1,1"

    @Option(help: "Thompson floor f: each arm gets at least f.")
    var minWeight: Double = 0.01

    @Option(help: "Also estimate P(best) with this many seeded Monte Carlo draws.")
    var monteCarlo: Int?

    @Option(help: "Seed for --monte-carlo.")
    var seed: UInt64 = 1

    @Option(help: "Output format: table or json.")
    var format: OutputFormat = .table

    func run() throws {
        let trialCounts = try parseList(trials, option: "--trials", as: Int.self)
        let successCounts = try parseList(successes, option: "--successes", as: Int.self)
        let priorValues = try parseList(prior, option: "--prior", as: Double.self)
        let armNames = try names.map { try parseList($0, option: "--names", as: String.self) }
            ?? trialCounts.indices.map { "arm-\($0 + 1)" }
        guard trialCounts.count >= 2 else { throw ValidationError("--trials: give at least two arms") }
        guard successCounts.count == trialCounts.count, armNames.count == trialCounts.count else {
            throw ValidationError("--trials, --successes and --names must list the same number of arms")
        }
        for (index, (n, s)) in zip(trialCounts, successCounts).enumerated() where n < 0 || s < 0 || s > n {
            throw ValidationError("arm \(armNames[index]): need 0 ≤ successes ≤ trials, got \(s) of \(n)")
        }
        guard priorValues.count == 2, priorValues.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw ValidationError("--prior: give two positive numbers, alpha,beta")
        }
        guard minWeight >= 0, minWeight < 1 else { throw ValidationError("--min-weight must be at least 0 and below 1") }
        if let monteCarlo, monteCarlo < 1 { throw ValidationError("--monte-carlo must be at least 1") }

        let betaPrior = BetaPrior(alpha: priorValues[0], beta: priorValues[1])
        let policy = ThompsonPolicy(settings: BanditSettings(minWeight: minWeight, prior: betaPrior), objective: .ctr)
        let observations = zip(armNames, zip(trialCounts, successCounts)).map {
            ArmObservation(arm: $0.0, trials: $0.1.0, successes: $0.1.1)
        }
        let posteriors = observations.map { $0.posterior(for: .ctr, prior: betaPrior)! }
        let exact = BestArmAnalysis.exact(posteriors)
        let weights = policy.weights(probabilityBest: exact.probabilityBest)
        let check = monteCarlo.map { BestArmAnalysis.monteCarlo(posteriors, draws: $0, seed: seed) }

        let arms = observations.indices.map { index in
            let interval = posteriors[index].credibleInterval()
            return StatsReport.Arm(
                name: armNames[index], trials: trialCounts[index], successes: successCounts[index],
                rate: trialCounts[index] > 0 ? Double(successCounts[index]) / Double(trialCounts[index]) : nil,
                posteriorMean: posteriors[index].mean, intervalLow: interval.lowerBound, intervalHigh: interval.upperBound,
                probabilityBest: exact.probabilityBest[index], expectedLoss: exact.expectedLoss[index], weight: weights[index],
                monteCarloProbabilityBest: check?.probabilityBest[index], monteCarloStandardError: check?.standardErrors[index]
            )
        }
        let report = StatsReport(prior: priorValues, minWeight: minWeight, method: exact.method.description,
                                 monteCarlo: check?.method.description, arms: arms)
        switch format {
        case .json: try printJSON(report)
        case .table: print(report.table)
        }
    }
}

/// What `armory stats` prints.
struct StatsReport: Encodable {
    struct Arm: Encodable {
        var name: String
        var trials: Int
        var successes: Int
        var rate: Double?
        var posteriorMean: Double
        var intervalLow: Double
        var intervalHigh: Double
        var probabilityBest: Double
        var expectedLoss: Double
        var weight: Double
        var monteCarloProbabilityBest: Double?
        var monteCarloStandardError: Double?
    }

    var prior: [Double]
    var minWeight: Double
    var method: String
    var monteCarlo: String?
    var arms: [Arm]

    var table: String {
        var header = ["arm", "trials", "successes", "rate", "mean", "95% interval", "P(best)", "exp. loss", "weight"]
        if monteCarlo != nil { header += ["P(best) MC", "± s.e."] }
        var table = TextTable(header: header)
        for arm in arms {
            var row = [
                arm.name, String(arm.trials), String(arm.successes), arm.rate.map { fixed($0, 4) } ?? "-",
                fixed(arm.posteriorMean, 4), "[\(fixed(arm.intervalLow, 4)), \(fixed(arm.intervalHigh, 4))]",
                fixed(arm.probabilityBest, 4), fixed(arm.expectedLoss, 5), fixed(arm.weight, 4),
            ]
            if let estimate = arm.monteCarloProbabilityBest, let error = arm.monteCarloStandardError {
                row += [fixed(estimate, 4), fixed(error, 4)]
            }
            table.rows.append(row)
        }
        var text = table.rendered
        text += "\nprior Beta(\(prior.map { fixed($0, 2) }.joined(separator: ", "))); P(best) by \(method)"
        if let monteCarlo { text += "; cross-check by \(monteCarlo)" }
        if Double(arms.count) * minWeight >= 1 {
            text += "; weights uniform (\(arms.count)·\(fixed(minWeight, 3)) ≥ 1 leaves nothing to share by P(best))"
        } else {
            text += "; weights = \(fixed(minWeight, 3)) + (1 − \(arms.count)·\(fixed(minWeight, 3)))·P(best)"
        }
        return text
    }
}
