extension BestArmAnalysis {
    /// P(best) and expected loss from `draws` seeded joint draws of all arms: the cross-check
    /// for ``exact(_:)``. Ties (possible only with a degenerate posterior) go to the lower index.
    public static func monteCarlo(_ posteriors: [ArmPosterior], draws: Int, seed: UInt64) -> BestArmAnalysis {
        precondition(draws > 0, "Monte Carlo needs at least one draw")
        let count = posteriors.count
        var generator = Xoshiro256StarStar(seed: seed)
        var wins = [Int](repeating: 0, count: count)
        var lossSums = [Double](repeating: 0, count: count)
        var sample = [Double](repeating: 0, count: count)
        for _ in 0..<draws {
            var best = 0
            for arm in 0..<count {
                sample[arm] = posteriors[arm].sample(using: &generator)
                if sample[arm] > sample[best] { best = arm }
            }
            wins[best] += 1
            let maximum = sample[best]
            for arm in 0..<count { lossSums[arm] += maximum - sample[arm] }
        }
        let n = Double(draws)
        let probability = wins.map { Double($0) / n }
        return BestArmAnalysis(
            probabilityBest: probability,
            expectedLoss: lossSums.map { $0 / n },
            standardErrors: probability.map { ($0 * (1 - $0) / n).squareRoot() },
            method: .monteCarlo(draws: draws, seed: seed)
        )
    }
}
