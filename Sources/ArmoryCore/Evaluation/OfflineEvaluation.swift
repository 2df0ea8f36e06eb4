import ArmoryKit
import Foundation

/// Scores an algorithm on a ``TimeSplit``: asks it, as of the cut, for `k` movies for every
/// scored user (reading only the events before the cut), and measures how many of the movies
/// each user went on to watch the lists found.
public struct OfflineEvaluation: Sendable {
    /// One algorithm's figures, each the mean over scored users with its bootstrap interval.
    public struct Score: Sendable, Hashable, Codable {
        /// What was scored (`popularity`, `matrix-factorization model=movies-mf@2`).
        public var name: String
        /// The cut-off.
        public var k: Int
        /// How many users were scored.
        public var users: Int
        public var recall: Estimate
        public var ndcg: Estimate
        public var map: Estimate
        /// The share of the catalog some user's list holds.
        public var coverage: Estimate
        /// How many users' requests the algorithm failed (each scored as an empty list).
        public var failures: Int
    }

    /// The split scored on.
    public let split: TimeSplit
    /// The cut-off.
    public let k: Int
    /// How the intervals are made.
    public let bootstrap: Bootstrap

    /// An evaluation on `split` at cut-off `k`.
    public init(split: TimeSplit, k: Int = 10, bootstrap: Bootstrap = Bootstrap()) {
        self.split = split
        self.k = k
        self.bootstrap = bootstrap
    }

    /// The figures of `algorithm`, called `name`. `progress` is told the share of users done.
    public func score(
        _ algorithm: any RecommendationAlgorithm, name: String, progress: @Sendable (Double) -> Void = { _ in }
    ) async throws -> Score {
        let catalog = try await split.data.catalog()
        var metrics: [RankingMetrics] = []
        var lists: [[Int32]] = []
        var failures = 0
        metrics.reserveCapacity(split.heldOut.count)
        for (index, user) in split.heldOut.enumerated() {
            if index % 256 == 0 {
                try Task.checkCancellation()
                progress(Double(index) / Double(split.heldOut.count))
            }
            let request = RecommendationRequest(userID: user.userID, limit: k, time: split.cut)
            let ranked: [Int]
            do {
                ranked = try await algorithm.recommend(request, data: split.data).prefix(k).map(\.movieID)
            } catch {
                failures += 1
                ranked = []
            }
            metrics.append(RankingMetrics(ranked: ranked, relevant: user.movies, k: k))
            lists.append(ranked.compactMap { catalog.index(of: $0).map { Int32($0) } })
        }
        progress(1)
        return Score(
            name: name, k: k, users: metrics.count, recall: bootstrap.mean(metrics.map(\.recall)), ndcg: bootstrap.mean(metrics.map(\.ndcg)),
            map: bootstrap.mean(metrics.map(\.averagePrecision)), coverage: bootstrap.coverage(lists, catalogSize: catalog.movies.count),
            failures: failures
        )
    }
}
