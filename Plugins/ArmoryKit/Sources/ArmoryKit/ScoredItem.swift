/// One recommended movie and the score that ranked it (higher is better).
public struct ScoredItem: Sendable, Hashable, Codable {
    /// The movie's id in the catalog.
    public var movieID: Int
    /// The algorithm's score; comparable only within one answer.
    public var score: Double

    /// Creates an item.
    public init(movieID: Int, score: Double) {
        self.movieID = movieID
        self.score = score
    }
}

extension ScoredItem {
    /// Whether `self` ranks before `other`: the higher score, then the smaller movie id. Every
    /// built-in module orders its answer this way, so equal scores never depend on hash order.
    @inlinable
    public func ranksBefore(_ other: ScoredItem) -> Bool {
        score != other.score ? score > other.score : movieID < other.movieID
    }

    /// The best `limit` of `scores` by ``ranksBefore(_:)``, skipping `excluded` movies.
    public static func top(_ limit: Int, of scores: [Int: Double], excluding excluded: Set<Int> = []) -> [ScoredItem] {
        var best = TopItems(limit: limit)
        for (movieID, score) in scores {
            // Most candidates lose to the last kept item: compared first, hashed into
            // `excluded` only when they would enter.
            if best.items.count == best.limit, let last = best.items.last, !ScoredItem(movieID: movieID, score: score).ranksBefore(last) {
                continue
            }
            if !excluded.contains(movieID) { best.insert(movieID: movieID, score: score) }
        }
        return best.items
    }
}
