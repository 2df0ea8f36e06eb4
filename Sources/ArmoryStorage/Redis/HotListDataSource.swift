import ArmoryCore
import ArmoryKit
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The ``DataSource`` when Redis is configured: popular movies over a window come from the
/// hot-movies counters in Redis (the same list on every replica), everything else from the
/// state store. It degrades, never fails: when Redis is down or slow, the popular list comes
/// from the state store, the failure is logged at most once per interval and counted, and
/// Redis is asked again at the next refresh (every few seconds).
///
/// Views and clicks are counted in Redis by its own loop (``run()``, a `Service`), from a
/// bounded queue: the events route hands them over without waiting, so a slow Redis never
/// slows the events route; when the queue is full, the newest are dropped and counted.
public final class HotListDataSource: DataSource, Service {
    private let base: any DataSource
    private let hot: HotMovies
    private let lists: LoadingCache<Key, [MovieCount]>
    private let logger: Logger
    private let failureLogInterval: Duration
    private let onFailure: @Sendable (_ operation: String) -> Void
    private let lastLogged = Mutex<ContinuousClock.Instant?>(nil)
    private let queue: AsyncStream<[Event]>
    private let queueInput: AsyncStream<[Event]>.Continuation

    private struct Key: Hashable {
        var genre: String?
        var windowMinutes: Int
    }

    /// Lists are read at least this long, so requests with different limits share them.
    private static let minimumListLength = 200

    /// A source answering popular lists from `hot` (each cached for `listLifetime`) and the
    /// rest from `base`. `onFailure` is told of each failed Redis operation (`read`, `record`)
    /// and of each batch of events dropped because `queueLimit` batches were waiting (`dropped`).
    public init(
        base: any DataSource, hot: HotMovies, listLifetime: Duration = .seconds(5), failureLogInterval: Duration = .seconds(30),
        queueLimit: Int = 1_000,
        logger: Logger = Logger(label: "armory.redis"), onFailure: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.base = base
        self.hot = hot
        // An expired list is served while it reloads, for up to a minute.
        lists = LoadingCache(capacity: 1_000, lifetime: listLifetime, staleLifetime: .seconds(60))
        self.logger = logger
        self.failureLogInterval = failureLogInterval
        self.onFailure = onFailure
        (queue, queueInput) = AsyncStream.makeStream(of: [Event].self, bufferingPolicy: .bufferingOldest(queueLimit))
    }

    public func catalog() async throws -> MovieCatalog {
        try await base.catalog()
    }

    public func history(of userID: String, since: Date?) async throws -> UserHistory {
        try await base.history(of: userID, since: since)
    }

    public func coWatchedMovies(with movieID: Int, limit: Int) async throws -> [MovieCount] {
        try await base.coWatchedMovies(with: movieID, limit: limit)
    }

    public func popularMovies(genre: String?, since: Date?, limit: Int) async throws -> [MovieCount] {
        // All time, and any window longer than Redis keeps (31 days by default), is the state
        // store's: a 60-day list from Redis would silently be a 31-day one.
        guard let since, Date().timeIntervalSince(since) <= hot.retention.timeInterval else {
            return try await base.popularMovies(genre: genre, since: since, limit: limit)
        }
        let minutes = Int((Date().timeIntervalSince(since) / 60).rounded())
        let wanted = max(limit, Self.minimumListLength)
        let list = try await lists.value(for: Key(genre: genre, windowMinutes: minutes)) { [hot, base] in
            let start = Date().addingTimeInterval(-Double(minutes) * 60)
            do {
                return try await hot.popular(genre: genre, since: start, limit: wanted)
            } catch {
                self.noteFailure("read", error)
                return try await base.popularMovies(genre: genre, since: start, limit: wanted)
            }
        }
        return Array(list.prefix(limit))
    }

    /// Queues `events`' views and clicks to be counted in Redis, without waiting. The events
    /// are already stored; if Redis cannot take them, only the hot list misses them.
    public func record(_ events: [Event]) {
        let hits = events.filter { ($0.type == .view || $0.type == .click) && $0.movieID > 0 }
        guard !hits.isEmpty else { return }
        if case .dropped = queueInput.yield(hits) { noteFailure("dropped", RedisError("the queue of views and clicks for Redis is full")) }
    }

    /// Counts the queued views and clicks in Redis until graceful shutdown, then what is still
    /// queued unless Redis fails (a failing Redis does not hold up the shutdown).
    public func run() async throws {
        await withGracefulShutdownHandler {
            for await events in queue {
                let counted = await count(events)
                if !counted, Task.isShuttingDownGracefully { break }
            }
        } onGracefulShutdown: { [queueInput] in
            queueInput.finish()
        }
    }

    private func count(_ events: [Event]) async -> Bool {
        do {
            let catalog = try await base.catalog()
            try await hot.record(events.map { HotMovies.Hit(movieID: $0.movieID, genres: catalog.movie(id: $0.movieID)?.genres ?? [], time: $0.time) })
            return true
        } catch {
            noteFailure("record", error)
            return false
        }
    }

    private func noteFailure(_ operation: String, _ error: any Error) {
        onFailure(operation)
        let now = ContinuousClock.now
        let shouldLog = lastLogged.withLock { last in
            guard last.map({ now - $0 >= failureLogInterval }) ?? true else { return false }
            last = now
            return true
        }
        if shouldLog {
            logger.warning("Redis failed; hot movies come from the state store until it answers (logged at most every \(failureLogInterval))",
                           metadata: ["operation": "\(operation)", "error": "\(error)"])
        }
    }
}
