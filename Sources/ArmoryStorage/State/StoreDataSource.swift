import ArmoryKit
import Foundation

/// The ``DataSource`` algorithm modules read in the server: a ``StateStore`` behind caches.
///
/// The catalog is held in memory and reloaded every `catalogRefresh`; users' histories are
/// cached for `historyLifetime` in a bounded cache of the most recently used users; popular
/// and co-watched lists are cached for `listLifetime`. A module sees data at most that stale.
public final class StoreDataSource: DataSource {
    /// How long each kind of answer may be reused.
    public struct Lifetimes: Sendable {
        /// How often the catalog is reloaded.
        public var catalogRefresh: Duration = .seconds(60)
        /// How long a user's history is reused.
        public var historyLifetime: Duration = .seconds(5)
        /// How long a popular or co-watched list is reused.
        public var listLifetime: Duration = .seconds(30)
        /// How many users' histories are kept.
        public var hotUsers: Int = 10_000

        /// The defaults above.
        public init() {}
    }

    private let store: any StateStore
    private let lifetimes: Lifetimes
    private let catalogCache = ExpiringCache<Int, MovieCatalog>(capacity: 1)
    private let histories: ExpiringCache<String, UserHistory>
    private let popular = ExpiringCache<PopularKey, RankedList>(capacity: 1_000)
    private let coWatched = ExpiringCache<Int, RankedList>(capacity: 20_000)

    private struct PopularKey: Hashable {
        var genre: String?
        var minute: Int?
    }

    /// A list fetched with a limit: it answers any request for at most that many.
    private struct RankedList {
        var items: [MovieCount]
        var limit: Int
    }

    /// Lists are fetched at least this long, so requests with different limits share them.
    private static let minimumListLength = 200

    /// A source over `store`.
    public init(store: any StateStore, lifetimes: Lifetimes = Lifetimes()) {
        self.store = store
        self.lifetimes = lifetimes
        histories = ExpiringCache(capacity: lifetimes.hotUsers)
    }

    public func catalog() async throws -> MovieCatalog {
        if let catalog = catalogCache.value(for: 0) { return catalog }
        let catalog = MovieCatalog(try await store.movies())
        catalogCache.store(catalog, for: 0, lifetime: lifetimes.catalogRefresh)
        return catalog
    }

    public func history(of userID: String, since: Date?) async throws -> UserHistory {
        let full: UserHistory
        if let cached = histories.value(for: userID) {
            full = cached
        } else {
            full = try await store.history(of: userID, since: nil)
            histories.store(full, for: userID, lifetime: lifetimes.historyLifetime)
        }
        guard let since else { return full }
        return UserHistory(views: full.views.filter { $0.time >= since }, likes: full.likes.filter { $0.time >= since })
    }

    /// Forgets `userID`'s cached history (after appending a view or like for them).
    public func forgetHistory(of userID: String) {
        histories.remove(userID)
    }

    public func popularMovies(genre: String?, since: Date?, limit: Int) async throws -> [MovieCount] {
        // Windows are rounded down to the minute, so one list serves every request in that minute.
        let minute = since.map { Int(($0.timeIntervalSince1970 / 60).rounded(.down)) }
        let key = PopularKey(genre: genre, minute: minute)
        if let cached = popular.value(for: key), limit <= cached.limit {
            return Array(cached.items.prefix(limit))
        }
        let wanted = max(limit, Self.minimumListLength)
        let start = minute.map { Date(timeIntervalSince1970: Double($0) * 60) }
        let list = try await store.popularMovies(genre: genre, since: start, limit: wanted)
        popular.store(RankedList(items: list, limit: wanted), for: key, lifetime: lifetimes.listLifetime)
        return Array(list.prefix(limit))
    }

    public func coWatchedMovies(with movieID: Int, limit: Int) async throws -> [MovieCount] {
        if let cached = coWatched.value(for: movieID), limit <= cached.limit {
            return Array(cached.items.prefix(limit))
        }
        let wanted = max(limit, Self.minimumListLength)
        let list = try await store.coWatchedMovies(with: movieID, limit: wanted)
        coWatched.store(RankedList(items: list, limit: wanted), for: movieID, lifetime: lifetimes.listLifetime)
        return Array(list.prefix(limit))
    }
}
