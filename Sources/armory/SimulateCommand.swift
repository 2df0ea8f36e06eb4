import ArgumentParser
import ArmoryCore
import Foundation

/// `armory simulate`: an offline Bernoulli bandit through the worker's policy code.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Simulate a policy on arms with known click rates: regret, final weights, time to 95% P(best), guardrail and sample-ratio actions.",
        discussion: """
            Example: armory simulate --true-rates 0.04,0.05,0.06 --decisions 100000 --batch 1000 --runs 20
            A guardrail (checked after every batch against arm 1, as the worker checks it): --guardrail-rates 0.10,0.08 --tolerance 0
            A broken split the sample-ratio check should catch: --leak 0.02. Rates that change halfway: --rates-after 0.06,0.04 --rates period_weighted
            """
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

    @Option(help: "Each arm's true rate from --change-at on (rates that change during the run).")
    var ratesAfter: String?

    @Option(help: "The share of the decisions after which --rates-after apply.")
    var changeAt: Double = 0.5

    @Option(help: "How Thompson totals rates: pooled or period_weighted.")
    var rates: RateWeighting = .pooled

    @Option(help: "Each arm's true rate of a guardrail metric (a conversion, independent of the click); arm 1 is the reference.")
    var guardrailRates: String?

    @Option(help: "The guardrail's tolerated drop: absolute (0.01) or relative (10%).")
    var tolerance: String = "0"

    @Option(help: "Trials the guardrail needs in an arm and the reference before it may act.")
    var minTrials: Int = Guardrail.defaultMinTrials

    @Option(help: "The guardrails' error budget (safety.alpha).")
    var alpha: Double = 0.05

    @Option(help: "The share of decisions logged under the first arm whatever arm served them.")
    var leak: Double = 0

    @Option(help: "Output format: table or json.")
    var format: OutputFormat = .table

    func run() throws {
        let trueRates = try parseList(trueRates, option: "--true-rates", as: Double.self)
        guard trueRates.count >= 2 else { throw ValidationError("--true-rates: give at least two arms") }
        guard trueRates.allSatisfy({ $0 >= 0 && $0 <= 1 }) else { throw ValidationError("--true-rates: each rate must be in [0, 1]") }
        guard decisions > 0, batch > 0, runs > 0 else { throw ValidationError("--decisions, --batch and --runs must be positive") }
        guard decisions <= 100_000_000, runs <= 10_000 else {
            throw ValidationError("at most 100000000 decisions and 10000 runs")
        }
        guard minWeight >= 0, minWeight < 1 else { throw ValidationError("--min-weight must be at least 0 and below 1") }
        guard burnIn >= 0 else { throw ValidationError("--burn-in must not be negative") }

        let simulation = BanditSimulation(try makeConfiguration(rates: trueRates))
        let progress = ProgressBar(total: runs, label: "runs")
        let started = Date()
        let results = simulation.runAll(progress: progress.update)
        let report = SimulationReport(rates: trueRates, configuration: simulation.configuration, decisions: decisions, runs: results,
                                      seconds: Date().timeIntervalSince(started))
        switch format {
        case .json: try printJSON(report)
        case .table: print(report.text)
        }
    }
}

extension PolicyKind: ExpressibleByArgument {}

extension SimulateCommand {
    /// The simulation's configuration from the options beyond the arms' rates, checked.
    func makeConfiguration(rates trueRates: [Double]) throws -> BanditSimulation.Configuration {
        var configuration = BanditSimulation.Configuration(
            trueRates: trueRates, decisions: decisions, batchSize: batch, runs: runs, policy: policy,
            bandit: BanditSettings(minTrialsPerArm: burnIn, minWeight: minWeight, rates: rates), seed: seed
        )
        func armRates(_ text: String?, option: String) throws -> [Double]? {
            guard let text else { return nil }
            let values = try parseList(text, option: option, as: Double.self)
            guard values.count == trueRates.count, values.allSatisfy({ $0 >= 0 && $0 <= 1 }) else {
                throw ValidationError("\(option): give one rate in [0, 1] per arm (\(trueRates.count))")
            }
            return values
        }
        configuration.ratesAfterChange = try armRates(ratesAfter, option: "--rates-after")
        configuration.guardrailRates = try armRates(guardrailRates, option: "--guardrail-rates")
        guard changeAt >= 0, changeAt <= 1 else { throw ValidationError("--change-at must be in [0, 1]") }
        guard leak >= 0, leak < 1 else { throw ValidationError("--leak must be at least 0 and below 1") }
        guard alpha >= 0.000001, alpha <= 0.5 else { throw ValidationError("--alpha must be between 0.000001 and 0.5") }
        guard minTrials >= 1 else { throw ValidationError("--min-trials must be at least 1") }
        configuration.changeAt = changeAt
        configuration.leak = leak
        configuration.alpha = alpha
        if configuration.guardrailRates != nil {
            let tolerance: Guardrail.Tolerance
            if self.tolerance.hasSuffix("%"), let percent = Double(self.tolerance.dropLast()), percent >= 0 {
                tolerance = .relative(percent / 100)
            } else if let value = Double(self.tolerance), value >= 0, value <= 1 {
                tolerance = .absolute(value)
            } else {
                throw ValidationError("--tolerance must be a rate difference in [0, 1] (0.01) or a percentage (10%), not '\(self.tolerance)'")
            }
            configuration.guardrail = Guardrail(metric: .conversion, tolerance: tolerance, action: .dropArm, minTrials: minTrials)
        }
        return configuration
    }
}

extension RateWeighting: ExpressibleByArgument {}
