import ArmoryCore
import ArmoryKit
import Foundation

/// The ``DataSource`` algorithm modules read in the server: what a request needs, kept where a
/// request can read it in microseconds, with the ``StateStore`` behind it.
///
/// - The catalog is held in memory and reloaded every `catalogRefresh`.
/// - Popular lists are cached per genre, window and length for `listLifetime`; an expired list
///   is served while it reloads, and each list is loaded once however many requests want it.
/// - Co-watched lists come from ``CoWatchLists``, an index of all views rebuilt in the
///   background; no request joins the views table.
/// - A user's history is one indexed read of their newest ``historyLimit`` views and likes,
///   cached for `historyLifetime` (and forgotten when this server appends to it). Reads run
///   under a ``ConcurrencyLimit``, and a request past its budget stops waiting (a SQLite read
///   in progress is interrupted), so a slow store makes requests fall back instead of piling up.
public final class StoreDataSource: DataSource {
    /// How long each kind of answer may be reused.
    public struct Lifetimes: Sendable {
        /// How often the catalog is reloaded.
        public var catalogRefresh: Duration = .seconds(60)
        /// How long a user's history is reused.
        public var historyLifetime: Duration = .seconds(5)
        /// How long a popular list is reused.
        public var listLifetime: Duration = .seconds(30)
        /// How many users' histories are kept.
        public var hotUsers: Int = 10_000

        /// The defaults above.
        public init() {}
    }

    /// The most views, and the most likes, a user's history holds: their newest.
    public static let historyLimit = 500

    private let store: any StateStore
    private let coWatch: CoWatchLists
    private let lifetimes: Lifetimes
    private let reads: ConcurrencyLimit
    private let catalogCache: LoadingCache<Int, MovieCatalog>
    private let histories: ExpiringCache<String, UserHistory>
    private let popular: LoadingCache<PopularKey, [MovieCount]>

    /// A popular list is for a genre (or all), a window *length* in minutes (or all time) and a
    /// length: "the last 7 days" is one key whatever the request's time, reloaded as it expires.
    private struct PopularKey: Hashable {
        var genre: String?
        var windowMinutes: Int?
        var length: Int
    }

    /// A source over `store`, with co-watched lists from `coWatch` and at most `concurrentReads`
    /// history reads at once.
    public init(store: any StateStore, coWatch: CoWatchLists, lifetimes: Lifetimes = Lifetimes(), concurrentReads: Int = 4) {
        self.store = store
        self.coWatch = coWatch
        self.lifetimes = lifetimes
        reads = ConcurrencyLimit(concurrentReads)
        histories = ExpiringCache(capacity: lifetimes.hotUsers)
        // Expired values are served for up to ten lifetimes while they reload.
        catalogCache = LoadingCache(capacity: 1, lifetime: lifetimes.catalogRefresh, staleLifetime: lifetimes.catalogRefresh * 10)
        popular = LoadingCache(capacity: 1_000, lifetime: lifetimes.listLifetime, staleLifetime: lifetimes.listLifetime * 10)
    }

    public func catalog() async throws -> MovieCatalog {
        try await catalogCache.value(for: 0) { [store] in MovieCatalog(try await store.movies()) }
    }

    public func history(of userID: String, since: Date?) async throws -> UserHistory {
        let full: UserHistory
        if let cached = histories.value(for: userID) {
            full = cached
        } else {
            full = try await reads.run { try await store.history(of: userID, since: nil, limit: Self.historyLimit) }
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
        let key = PopularKey(genre: genre, windowMinutes: minutes, length: Self.listLength(for: limit))
        let list = try await popular.value(for: key) { [store] in
            let start = minutes.map { Date().addingTimeInterval(-Double($0) * 60) }
            return try await store.popularMovies(genre: genre, since: start, limit: key.length)
        }
        return Array(list.prefix(limit))
    }

    /// The length a list is loaded with to answer `limit`: 200, then doubling, so requests with
    /// different limits share a few cached lists and none is ever read uncached.
    static func listLength(for limit: Int) -> Int {
        var length = 200
        while length < limit { length *= 2 }
        return length
    }

    public func coWatchedMovies(with movieID: Int, limit: Int) async throws -> [MovieCount] {
        try await coWatch.neighbours(of: movieID, limit: limit)
    }

    /// History reads running now (for `/metrics`).
    public var historyReadsRunning: Int { reads.running }
}
