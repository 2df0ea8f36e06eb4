/// How well one ranked list found one user's held-out movies, at a cut-off `k`. Each metric is
/// normalised by `min(k, held-out count)`, so a perfect list scores 1 even for a user with more
/// held-out movies than `k` (as the `implicit` library's ranking metrics do).
public struct RankingMetrics: Sendable, Hashable {
    /// Hits over `min(k, held-out count)`.
    public var recall: Double
    /// Discounted cumulative gain (gain 1 per hit, discount log₂(position + 1)) over that of a
    /// list whose first `min(k, held-out count)` movies are all hits.
    public var ndcg: Double
    /// Average precision: the precision at each hit's position, summed, over `min(k, held-out count)`.
    public var averagePrecision: Double

    /// The metrics of `ranked` (best first; only the first `k` count) against `relevant`.
    public init(ranked: [Int], relevant: Set<Int>, k: Int) {
        let ideal = min(k, relevant.count)
        guard ideal > 0 else {
            self.init(recall: 0, ndcg: 0, averagePrecision: 0)
            return
        }
        var hits = 0
        var gain = 0.0
        var precisionSum = 0.0
        for (position, movie) in ranked.prefix(k).enumerated() where relevant.contains(movie) {
            hits += 1
            gain += 1 / Self.log2(Double(position) + 2)
            precisionSum += Double(hits) / Double(position + 1)
        }
        let idealGain = (0..<ideal).reduce(0.0) { $0 + 1 / Self.log2(Double($1) + 2) }
        self.init(recall: Double(hits) / Double(ideal), ndcg: gain / idealGain, averagePrecision: precisionSum / Double(ideal))
    }

    /// Metrics with these values.
    public init(recall: Double, ndcg: Double, averagePrecision: Double) {
        self.recall = recall
        self.ndcg = ndcg
        self.averagePrecision = averagePrecision
    }

    private static func log2(_ value: Double) -> Double {
        Foundation.log2(value)
    }
}

import Foundation
