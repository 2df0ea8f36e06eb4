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
///   cached for `historyLifetime` and served for as long again while a fresh read runs, so
///   only a user's first request waits for the store; the views and likes this server stores
///   are added to the cached histories as they arrive (``record(views:likes:)``), so ingest
///   never empties the cache. Reads run under a ``ConcurrencyLimit``, so a slow store makes
///   requests wait here, where their budget cuts them off, instead of piling up inside it.
public final class StoreDataSource: DataSource {
    /// How long each kind of answer may be reused.
    public struct Lifetimes: Sendable {
        /// How often the catalog is reloaded.
        public var catalogRefresh: Duration = .seconds(60)
        /// How long a user's history is reused (and then served for as long again while it is
        /// read afresh). The views and likes this server stores are added to it as they arrive;
        /// those another server stores (replicas sharing PostgreSQL) show within two lifetimes.
        public var historyLifetime: Duration = .seconds(60)
        /// How long a popular list of a window is reused.
        public var listLifetime: Duration = .seconds(30)
        /// How long an all-time popular list (what modules top their lists up with) is reused:
        /// a day of views hardly moves it, and counting every view is the dearest query.
        public var allTimeListLifetime: Duration = .seconds(600)
        /// How many users' histories are kept.
        public var hotUsers: Int = 10_000

        /// The defaults above.
        public init() {}
    }

    /// The most views, and the most likes, a user's history holds: their newest.
    public static let historyLimit = 500

    private let store: any StateStore
    private let coWatch: CoWatchLists
    private let hotUsers: Int
    private let reads: ConcurrencyLimit
    private let catalogCache: LoadingCache<Int, MovieCatalog>
    private let histories: LoadingCache<String, UserHistory>
    private let popular: LoadingCache<PopularKey, [MovieCount]>
    private let allTimePopular: LoadingCache<PopularKey, [MovieCount]>

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
        hotUsers = lifetimes.hotUsers
        reads = ConcurrencyLimit(concurrentReads)
        histories = LoadingCache(capacity: lifetimes.hotUsers, lifetime: lifetimes.historyLifetime, staleLifetime: lifetimes.historyLifetime)
        // Expired values are served for up to ten lifetimes while they reload.
        catalogCache = LoadingCache(capacity: 1, lifetime: lifetimes.catalogRefresh, staleLifetime: lifetimes.catalogRefresh * 10)
        popular = LoadingCache(capacity: 1_000, lifetime: lifetimes.listLifetime, staleLifetime: lifetimes.listLifetime * 10)
        allTimePopular = LoadingCache(capacity: 100, lifetime: lifetimes.allTimeListLifetime, staleLifetime: lifetimes.allTimeListLifetime * 10)
    }

    /// Fills what requests read before the server takes any, from one read of every view and
    /// like: the catalog, the co-watch lists, and the histories of the most recently active
    /// users (as many as the cache keeps), so that no first request waits for the store.
    public func warmUp() async throws {
        _ = try await catalog()
        let watches = try await coWatch.rebuild()
        let histories = await withTaskExecutorPreference(ThreadExecutor.background) { [hotUsers] in
            watches.newestHistories(users: hotUsers, limit: Self.historyLimit)
        }
        for (user, history) in histories { self.histories.insert(history, for: user) }
    }

    public func catalog() async throws -> MovieCatalog {
        try await catalogCache.value(for: 0) { [store] in MovieCatalog(try await store.movies()) }
    }

    public func history(of userID: String, since: Date?) async throws -> UserHistory {
        let full = try await histories.value(for: userID) { [store, reads] in
            try await reads.run { try await store.history(of: userID, since: nil, limit: Self.historyLimit) }
        }
        guard let since else { return full }
        return UserHistory(views: full.views.filter { $0.time >= since }, likes: full.likes.filter { $0.time >= since })
    }

    /// Forgets `userID`'s cached history: the next request reads it from the store.
    public func forgetHistory(of userID: String) {
        histories.remove(userID)
    }

    /// Adds `views` and `likes`, just appended to the store, to their users' cached histories
    /// (a user whose history is not cached is read whole when next asked).
    public func record(views: [UserEvent], likes: [UserEvent]) {
        for (user, events) in Dictionary(grouping: views.map { ($0, true) } + likes.map { ($0, false) }, by: \.0.userID) {
            histories.modify(user) { history in
                for (event, isView) in events {
                    let item = HistoryEvent(movieID: event.movieID, time: event.time)
                    if isView { Self.insert(item, into: &history.views) } else { Self.insert(item, into: &history.likes) }
                }
            }
        }
    }

    /// Puts `event` in its place in `events` (newest first, ties by smaller movie id), keeping
    /// the newest ``historyLimit``.
    static func insert(_ event: HistoryEvent, into events: inout [HistoryEvent]) {
        var low = 0
        var high = events.count
        while low < high {
            let middle = (low + high) / 2
            let other = events[middle]
            if other.time > event.time || (other.time == event.time && other.movieID < event.movieID) { low = middle + 1 } else { high = middle }
        }
        events.insert(event, at: low)
        if events.count > historyLimit { events.removeLast(events.count - historyLimit) }
    }

    public func popularMovies(genre: String?, since: Date?, limit: Int) async throws -> [MovieCount] {
        let minutes = since.map { Int((Date().timeIntervalSince($0) / 60).rounded()) }
        let key = PopularKey(genre: genre, windowMinutes: minutes, length: Self.listLength(for: limit))
        let list = try await (since == nil ? allTimePopular : popular).value(for: key) { [store] in
            let start = minutes.map { Date().addingTimeInterval(-Double($0) * 60) }
            return try await store.popularMovies(genre: genre, since: start, limit: key.length)
        }
        return Array(list.prefix(limit))
    }

    /// The length a list is loaded with to answer `limit`: 2,000 (enough to top up a list past
    /// the most a user's history holds), then doubling, so requests with different limits share
    /// a few cached lists and none is ever read uncached.
    static func listLength(for limit: Int) -> Int {
        var length = 2_000
        while length < limit { length *= 2 }
        return length
    }

    public func coWatchedMovies(with movieID: Int, limit: Int) async throws -> [MovieCount] {
        try await coWatch.neighbours(of: movieID, limit: limit)
    }

    /// History reads running now (for `/metrics`).
    public var historyReadsRunning: Int { reads.running }
}
