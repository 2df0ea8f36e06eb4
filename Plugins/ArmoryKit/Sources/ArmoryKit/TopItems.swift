/// The best `limit` items seen so far, kept in rank order while a scan offers candidates, so
/// ranking a whole catalog for a short list costs one pass, not a sort of the catalog.
public struct TopItems: Sendable {
    /// How many items are kept.
    public let limit: Int
    /// The best items offered so far, best first.
    public private(set) var items: [ScoredItem] = []

    /// Creates an empty selection of at most `limit` items.
    public init(limit: Int) {
        self.limit = max(0, limit)
        items.reserveCapacity(self.limit + 1)
    }

    /// Offers a candidate; it is kept if it ranks among the best `limit`.
    @inlinable
    public mutating func insert(movieID: Int, score: Double) {
        let item = ScoredItem(movieID: movieID, score: score)
        if items.count == limit, limit > 0, !item.ranksBefore(items[limit - 1]) { return }
        guard limit > 0 else { return }
        insertRanked(item)
    }

    @usableFromInline
    mutating func insertRanked(_ item: ScoredItem) {
        let position = items.firstIndex { item.ranksBefore($0) } ?? items.endIndex
        items.insert(item, at: position)
        if items.count > limit { items.removeLast() }
    }
}
