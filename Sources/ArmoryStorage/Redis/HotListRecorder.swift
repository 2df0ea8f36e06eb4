import ArmoryCore
import ArmoryKit
import Foundation
import Logging
import ServiceLifecycle

/// Counts views and clicks in Redis's hot-movies counters, which ``HotListDataSource`` reads.
///
/// Counting runs on its own loop (``run()``, a `Service`) from a bounded queue: ``record(_:)``
/// hands events over without waiting, so a slow Redis never slows the events route; when the
/// queue is full, the newest are dropped and counted.
public final class HotListRecorder: Service {
    private let hot: HotMovies
    /// Where a movie's genres come from.
    private let movies: any DataSource
    private let failures: RedisFailures
    private let queue: AsyncStream<[Event]>
    private let queueInput: AsyncStream<[Event]>.Continuation

    /// A recorder into `hot`, taking genres from `movies`. `onFailure` is told of each failed
    /// Redis write (`record`) and of each batch dropped because `queueLimit` batches were
    /// waiting (`dropped`).
    public init(
        hot: HotMovies, movies: any DataSource, queueLimit: Int = 1_000, failureLogInterval: Duration = .seconds(30),
        logger: Logger = Logger(label: "armory.redis"), onFailure: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.hot = hot
        self.movies = movies
        failures = RedisFailures(logger: logger, logInterval: failureLogInterval, onFailure: onFailure)
        (queue, queueInput) = AsyncStream.makeStream(of: [Event].self, bufferingPolicy: .bufferingOldest(queueLimit))
    }

    /// Queues `events`' views and clicks to be counted in Redis, without waiting. The events
    /// are already stored; if Redis cannot take them, only the hot list misses them.
    public func record(_ events: [Event]) {
        let hits = events.filter { ($0.type == .view || $0.type == .click) && $0.movieID > 0 }
        guard !hits.isEmpty else { return }
        if case .dropped = queueInput.yield(hits) {
            failures.note("dropped", StorageError(.busy, "the queue of views and clicks for Redis is full"))
        }
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
            let catalog = try await movies.catalog()
            try await hot.record(events.map { HotMovies.Hit(movieID: $0.movieID, genres: catalog.movie(id: $0.movieID)?.genres ?? [], time: $0.time) })
            return true
        } catch {
            failures.note("record", error)
            return false
        }
    }
}
