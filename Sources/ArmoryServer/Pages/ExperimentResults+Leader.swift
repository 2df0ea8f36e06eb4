extension ExperimentResults {
    /// The arm with the highest P(best), once every arm has decisions (before that, P(best)
    /// is the prior's and names no leader); `nil` until then.
    var leaderIndex: Int? {
        guard arms.allSatisfy({ $0.trials > 0 && $0.probabilityBest != nil }) else { return nil }
        return arms.indices.max { arms[$0].probabilityBest! < arms[$1].probabilityBest! }
    }
}
