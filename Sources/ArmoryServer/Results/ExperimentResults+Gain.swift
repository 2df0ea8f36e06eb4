import ArmoryCore
import Foundation

extension ExperimentResults {
    /// Fills each arm's weight averaged over the phase's decisions (each weight version's weights
    /// counted by the decisions made under it) and what that split gained over an equal split of
    /// the same decisions, by the arms' observed rates: N·Σ (w̄ᵢ − 1/K)·rᵢ, the regret an equal
    /// split would have had beyond this one. Each arm's share is N·(w̄ᵢ − 1/K)·(rᵢ − r̄), which
    /// adds up to the same total (the w̄ᵢ − 1/K sum to zero) and is positive where the weights
    /// leaned the right way. From the weights, not from the decisions each arm happened to get,
    /// so chance imbalance gains nothing: weights that never left an equal split gain exactly 0.
    /// Absent until every arm has a decision.
    mutating func addGainOverEqualSplit(_ periods: WeightPeriods) {
        let counted = periods.periods.filter { $0.weights.count == arms.count && $0.trials > 0 }
        let decisions = counted.map(\.trials).reduce(0, +)
        guard decisions > 0 else { return }
        for index in arms.indices {
            arms[index].averageWeight = counted.map { Double($0.trials) * $0.weights[index] }.reduce(0, +) / Double(decisions)
        }
        let rates = arms.compactMap(\.rate)
        guard rates.count == arms.count, !arms.isEmpty else { return }
        let total = Double(arms.map(\.trials).reduce(0, +))
        let mean = rates.reduce(0, +) / Double(rates.count)
        let equal = 1 / Double(arms.count)
        for index in arms.indices {
            arms[index].gainOverEqualSplit = arms[index].averageWeight.flatMap { finite(total * ($0 - equal) * (rates[index] - mean)) }
        }
        let gain = arms.compactMap(\.gainOverEqualSplit).reduce(0, +)
        gainOverEqualSplit = finite(gain)
        gainOverEqualSplitShare = mean > 0 ? finite(gain / (total * mean)) : nil
    }
}
