import ArmoryCore
import Foundation

extension ExperimentResults {
    /// Fills what moving traffic gained over an equal split of the same decisions, in successes
    /// (or engagement) by the arms' observed rates: Σ (nᵢ − N/K)·rᵢ, the regret an equal split
    /// would have had beyond this one. Each arm's share is (nᵢ − N/K)·(rᵢ − r̄), which adds up to
    /// the same total (the shares of traffic moved sum to zero) and is positive where traffic
    /// moved the right way: towards an arm above the average, or away from one below it.
    /// Absent until every arm has a decision.
    mutating func addGainOverEqualSplit() {
        let rates = arms.compactMap(\.rate)
        let total = arms.map(\.trials).reduce(0, +)
        guard rates.count == arms.count, !arms.isEmpty, total > 0 else { return }
        let equalShare = Double(total) / Double(arms.count)
        let mean = rates.reduce(0, +) / Double(rates.count)
        for index in arms.indices {
            arms[index].gainOverEqualSplit = finite((Double(arms[index].trials) - equalShare) * (rates[index] - mean))
        }
        let gain = arms.compactMap(\.gainOverEqualSplit).reduce(0, +)
        gainOverEqualSplit = finite(gain)
        gainOverEqualSplitShare = mean > 0 ? finite(gain / (Double(total) * mean)) : nil
    }
}
