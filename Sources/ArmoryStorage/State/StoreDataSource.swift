import ArmoryKit
import Foundation

/// The ``DataSource`` algorithm modules read in the server: a ``StateStore`` behind caches.
///
/// The catalog is held in memory and reloaded every `catalogRefresh`; users' histories are
/// cached for `historyLifetime` in a bounded cache of the most recently used users; popular
/// and co-watched lists are cached for `listLifetime`. The catalog and the lists are loaded
/// once per key however many requests want them, the load finishes even when the request that
/// started it overran its budget, and an expired value is served while its reload runs — so a
/// slow query (the all-time popular list of a large catalog) costs one request's wait, once.
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
    private let catalogCache: LoadingCache<Int, MovieCatalog>
    private let histories: ExpiringCache<String, UserHistory>
    private let popular: LoadingCache<PopularKey, RankedList>
    private let coWatched: LoadingCache<Int, RankedList>

    /// A popular list is for a genre (or all) and a window *length* in minutes (or all time):
    /// "the last 7 days" is one key whatever the request's time, reloaded as it expires.
    private struct PopularKey: Hashable {
        var genre: String?
        var windowMinutes: Int?
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
        // Expired values are served for up to ten lifetimes while they reload.
        catalogCache = LoadingCache(capacity: 1, lifetime: lifetimes.catalogRefresh, staleLifetime: lifetimes.catalogRefresh * 10)
        popular = LoadingCache(capacity: 1_000, lifetime: lifetimes.listLifetime, staleLifetime: lifetimes.listLifetime * 10)
        coWatched = LoadingCache(capacity: 20_000, lifetime: lifetimes.listLifetime, staleLifetime: lifetimes.listLifetime * 10)
    }

    public func catalog() async throws -> MovieCatalog {
        try await catalogCache.value(for: 0) { [store] in MovieCatalog(try await store.movies()) }
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
        let minutes = since.map { Int((Date().timeIntervalSince($0) / 60).rounded()) }
        let wanted = max(limit, Self.minimumListLength)
        var list = try await popular.value(for: PopularKey(genre: genre, windowMinutes: minutes)) { [store] in
            let start = minutes.map { Date().addingTimeInterval(-Double($0) * 60) }
            return RankedList(items: try await store.popularMovies(genre: genre, since: start, limit: wanted), limit: wanted)
        }
        if list.limit < limit, list.items.count >= list.limit {
            // A longer list than any asked for so far: load it for this request.
            list = RankedList(items: try await store.popularMovies(genre: genre, since: since, limit: limit), limit: limit)
        }
        return Array(list.items.prefix(limit))
    }

    public func coWatchedMovies(with movieID: Int, limit: Int) async throws -> [MovieCount] {
        let wanted = max(limit, Self.minimumListLength)
        var list = try await coWatched.value(for: movieID) { [store] in
            RankedList(items: try await store.coWatchedMovies(with: movieID, limit: wanted), limit: wanted)
        }
        if list.limit < limit, list.items.count >= list.limit {
            list = RankedList(items: try await store.coWatchedMovies(with: movieID, limit: limit), limit: limit)
        }
        return Array(list.items.prefix(limit))
    }
}
