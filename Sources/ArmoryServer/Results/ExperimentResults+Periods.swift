import ArmoryCore
import Foundation

extension ExperimentResults {
    /// Fills each arm's period-weighted rate and P(best), and for a Thompson experiment the
    /// weights an update from them would give: what `bandit.rates: period_weighted` would do,
    /// shown whichever the experiment uses.
    mutating func addPeriodWeighted(_ periods: WeightPeriods, live: LiveExperiment, observations: [ArmObservation]) {
        let experiment = live.experiment
        let means = periods.weightedMeans(of: Guardrail.Metric(experiment.objective))
        for index in arms.indices { arms[index].periodWeightedRate = finite(means[index]?.mean) }
        let prior = experiment.bandit?.prior ?? .uniform
        let posteriors = periods.posteriors(prior: prior)
        let active = arms.indices.filter { !arms[$0].isDropped }
        let chosen = active.compactMap { posteriors[$0] }
        guard chosen.count == active.count, chosen.count >= 2 else { return }
        let analysis = BestArmAnalysis.exact(chosen)
        guard analysis.probabilityBest.allSatisfy(\.isFinite), analysis.probabilityBest.reduce(0, +) > 0 else { return }
        for (position, index) in active.enumerated() { arms[index].periodWeightedProbabilityBest = analysis.probabilityBest[position] }
        guard let settings = experiment.bandit else { return }
        let weights = ThompsonPolicy(settings: settings, objective: experiment.objective).weights(probabilityBest: analysis.probabilityBest)
        for index in arms.indices { arms[index].periodWeightedWeight = 0 }
        for (position, index) in active.enumerated() { arms[index].periodWeightedWeight = weights[position] }
    }
}
