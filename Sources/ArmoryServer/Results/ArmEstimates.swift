import ArmoryCore
import Foundation

/// Each arm's estimates from its observations: rate, posterior mean, 95% credible interval,
/// P(best) and expected loss. The one computation behind the results and every point of a
/// timeline, so a timeline's last point is the results.
struct ArmEstimates {
    struct Estimate {
        var observation: ArmObservation
        /// Successes per decision, or the mean engagement per decision; `nil` with no decisions.
        var rate: Double?
        var posteriorMean: Double?
        var interval: ClosedRange<Double>?
        var probabilityBest: Double?
        var expectedLoss: Double?
        /// Decisions with a success; 0 for engagement.
        var successes: Int
    }

    let arms: [Estimate]
    /// How P(best) was computed; `nil` when an arm has no posterior.
    let method: BestArmAnalysis.Method?

    /// The estimates of `experiment`'s arms from `observations` (in the experiment's order).
    init(_ experiment: Experiment, observations: [ArmObservation]) {
        let prior = experiment.bandit?.prior ?? .uniform
        let posteriors = observations.map { $0.posterior(for: experiment.objective, prior: prior) }
        let complete = posteriors.compactMap { $0 }
        let analysis = complete.count == posteriors.count && !complete.isEmpty ? BestArmAnalysis.exact(complete) : nil
        method = analysis?.method
        arms = observations.indices.map { index in
            let observation = observations[index]
            let rate: Double? = observation.trials == 0 ? nil : experiment.objective.isRate
                ? Double(observation.successes) / Double(observation.trials) : observation.valueSum / Double(observation.trials)
            let interval = posteriors[index]?.credibleInterval(level: 0.95)
            // Whatever the store holds, the answer is JSON: a number that is not finite is absent.
            let finiteInterval = interval.flatMap { $0.lowerBound.isFinite && $0.upperBound.isFinite ? $0 : nil }
            return Estimate(
                observation: observation, rate: finite(rate), posteriorMean: finite(posteriors[index]?.mean), interval: finiteInterval,
                probabilityBest: finite(analysis?.probabilityBest[index]), expectedLoss: finite(analysis?.expectedLoss[index]),
                successes: experiment.objective.isRate ? observation.successes : 0)
        }
    }
}
