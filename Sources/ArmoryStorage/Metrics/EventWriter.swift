import ArmoryCore
import ArmoryKit
import Foundation
import Logging
import ServiceLifecycle
import NIOConcurrencyHelpers
import Synchronization

/// Writes events to their destination in batches (the metrics store, or the Kafka topic that
/// feeds it), and never loses one it acknowledged.
///
/// ``write(_:)`` returns once its events are durable: in the destination, or, when the
/// destination fails, appended to a spool file on disk (fsync). Spooled batches are replayed in
/// order when it answers again, before newer events. A replayed or retried event counts once
/// (the metrics store dedupes by event id). The queue is bounded: when it is full, ``write(_:)`` throws
/// a ``StorageError`` coded `busy` at once instead of growing memory. On graceful shutdown it
/// flushes what it holds.
public final class EventWriter: Service, Sendable {
    /// Batching, bounds and where the spool lives.
    public struct Configuration: Sendable {
        /// How often the writer looks at its queue: a ``write(_:)`` waits about this long.
        public var flushInterval: Duration = .milliseconds(50)
        /// How long events queued by ``enqueue(_:)`` (impressions) may wait when no ``write(_:)``
        /// waits with them: a flush every `flushInterval` under steady impressions alone would
        /// be many small inserts a second, and ClickHouse spends far less CPU per event on one
        /// large one. A full batch goes at once.
        public var queuedEventDelay: Duration = .seconds(1)
        /// The most events per insert, and how many waiting make a flush start at once. Large
        /// enough that a busy server's impressions go in about one insert a second, as
        /// ClickHouse advises: each insert is a part on disk, written and later merged, so more
        /// and smaller inserts cost ClickHouse more CPU per recommendation (figures in the
        /// commit that chose this size).
        public var batchSize = 50_000
        /// The most events waiting in memory; more is a ``StorageError`` coded `busy`.
        public var capacity = 500_000
        /// How long to wait after a failed insert before trying the store again.
        public var retryInterval: Duration = .seconds(1)
        /// On shutdown, how long the store may take for the last inserts and the spool's
        /// replay before the rest is left in the spool (a hung store must not hold the exit).
        public var shutdownStoreDeadline: Duration = .seconds(1)
        /// How long the state store may take to append a flush's views and likes before they go
        /// to the history spool instead (a hung store must not hold up acknowledgements).
        public var historyDeadline: Duration = .seconds(2)
        /// The spool's folder.
        public var spoolDirectory: String

        /// Defaults, with the spool in `spoolDirectory`.
        public init(spoolDirectory: String) {
            self.spoolDirectory = spoolDirectory
        }
    }

    /// Gauges and counters for `/metrics`.
    public struct Statistics: Sendable, Hashable {
        /// Events waiting in memory.
        public var queued = 0
        /// Bytes in the spool not yet replayed.
        public var spoolBytes = 0
        /// Events inserted into the store (including replays).
        public var inserted = 0
        /// Events written to the spool.
        public var spooled = 0
        /// Failed inserts.
        public var failures = 0
        /// Failed history appends (views and likes into the state store).
        public var historyFailures = 0
        /// Views and likes written to the history spool.
        public var historySpooled = 0
        /// Views and likes the state store refused, set aside in `history.spool.rejected`.
        public var historyRejected = 0
        /// Bytes in the history spool not yet replayed.
        public var historySpoolBytes = 0
    }

    struct Waiter {
        var continuation: CheckedContinuation<Void, any Error>
    }

    struct State {
        var pending: [Event] = []
        var waiters: [Waiter] = []
        /// When the oldest of `pending` was queued.
        var pendingSince: ContinuousClock.Instant?
        var isStopping = false
        var retryAfter: ContinuousClock.Instant?
        var historyRetryAfter: ContinuousClock.Instant?
        var statistics = Statistics()

        mutating func append(_ events: [Event]) {
            if pending.isEmpty { pendingSince = .now }
            pending += events
        }
    }

    /// Where events go: the metrics store or the Kafka topic (``EventDestination``).
    let destination: any EventDestination
    let history: (any StateStore)?
    let configuration: Configuration
    let logger: Logger
    let state = NIOLockedValueBox(State())
    let spool: Mutex<EventSpool>
    /// Views and likes waiting for `history` (empty without one).
    let historySpool: Mutex<EventSpool>

    /// A writer into `destination`. Views and likes are also appended to `history` (the state
    /// store); they are acknowledged once in both.
    public init(
        destination: any EventDestination, history: (any StateStore)? = nil, configuration: Configuration,
        logger: Logger = Logger(label: "armory.events")
    ) throws {
        self.destination = destination
        self.history = history
        self.configuration = configuration
        self.logger = logger
        spool = Mutex(try EventSpool(directory: configuration.spoolDirectory))
        historySpool = Mutex(try EventSpool(directory: configuration.spoolDirectory, name: "history.spool"))
    }

    /// Queues `events` and returns once they are durable. Throws a ``StorageError`` coded `busy`
    /// when the queue is full, `stopped` after ``stop()``, and `notDurable` when neither the
    /// store nor the spool could take them.
    public func write(_ events: [Event]) async throws {
        guard !events.isEmpty else { return }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let refusal = state.withLockedValue { state -> (any Error)? in
                guard !state.isStopping else { return StorageError(.stopped, "the event writer is shutting down") }
                guard state.pending.count + events.count <= configuration.capacity else { return StorageError(.busy, "the event queue is full; retry shortly") }
                state.append(events)
                state.waiters.append(Waiter(continuation: continuation))
                return nil
            }
            if let refusal { continuation.resume(throwing: refusal) }
        }
    }

    /// Queues `events` without waiting for them to be durable: for impressions, which the
    /// server records on the request path and must not hold it up for a flush. They become
    /// durable at the next flush, within `queuedEventDelay` (sooner when a ``write(_:)`` or a
    /// full batch comes first); a crash before it loses them, which only leaves those decisions
    /// uncounted. Throws a ``StorageError`` coded `busy` or `stopped` like ``write(_:)``.
    public func enqueue(_ events: [Event]) throws {
        let refusal = state.withLockedValue { state -> (any Error)? in
            guard !state.isStopping else { return StorageError(.stopped, "the event writer is shutting down") }
            guard state.pending.count + events.count <= configuration.capacity else { return StorageError(.busy, "the event queue is full; retry shortly") }
            state.append(events)
            return nil
        }
        if let refusal { throw refusal }
    }

    /// Current gauges and counters.
    public var statistics: Statistics {
        var statistics = state.withLockedValue { state in
            var statistics = state.statistics
            statistics.queued = state.pending.count
            return statistics
        }
        statistics.spoolBytes = spool.withLock { $0.pendingBytes }
        statistics.historySpoolBytes = historySpool.withLock { $0.pendingBytes }
        return statistics
    }

    /// Looks at the queue every `flushInterval` and flushes it when it is due (a writer waits,
    /// a batch is full, or queued impressions have waited `queuedEventDelay`) until shut down
    /// (gracefully, or by ``stop()``), then drains: what is queued goes to the store or the
    /// spool before it returns.
    public func run() async throws {
        await withGracefulShutdownHandler {
            // Two loops: one makes queued events durable (to the store, or straight to the spool
            // while older batches wait there), the other replays the spool when the store is due
            // another try, so a store that hangs until its timeout never holds up acknowledgements
            // for longer than one insert.
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    // Up to two flushes in flight: while the store works on one batch, the next
                    // is gathered and sent.
                    await withTaskGroup(of: Void.self) { flushes in
                        var inFlight = 0
                        while !self.isStopping && !Task.isCancelled {
                            // Sleep only when there is less than a batch waiting: under load the
                            // loop inserts back to back.
                            if self.state.withLockedValue({ $0.pending.count < self.configuration.batchSize }) {
                                try? await Task.sleep(for: self.configuration.flushInterval)
                                guard self.isFlushDue() else { continue }
                            }
                            if inFlight == 2 {
                                await flushes.next()
                                inFlight -= 1
                            }
                            flushes.addTask { await self.flush() }
                            inFlight += 1
                        }
                        await flushes.waitForAll()
                    }
                }
                group.addTask {
                    while !self.isStopping && !Task.isCancelled {
                        await self.replaySpool()
                        await self.replayHistorySpool()
                        try? await Task.sleep(for: self.configuration.flushInterval)
                    }
                }
            }
        } onGracefulShutdown: {
            self.stop()
        }
        await flush(storeDeadline: configuration.shutdownStoreDeadline)
        // What the spool holds replays at the next start if the store is not quick now.
        _ = try? await withDeadline(configuration.shutdownStoreDeadline) {
            await self.replaySpool()
            await self.replayHistorySpool()
        }
    }

    private var isStopping: Bool { state.withLockedValue { $0.isStopping } }

    /// Whether the queue should be flushed now: a writer waits, a batch is full, the oldest
    /// queued event has waited `queuedEventDelay`, or the writer is stopping.
    private func isFlushDue() -> Bool {
        let now = ContinuousClock.now
        return state.withLockedValue { state in
            guard let since = state.pendingSince else { return false }
            return !state.waiters.isEmpty || state.isStopping || state.pending.count >= configuration.batchSize
                || now - since >= configuration.queuedEventDelay
        }
    }

    /// Stops accepting events; ``run()`` drains and returns.
    public func stop() {
        state.withLockedValue { $0.isStopping = true }
    }

    /// Writes what is queued: to the store (within `storeDeadline`, when given), or to the spool
    /// when older batches still wait there (to keep their order) or the store is failing.
    func flush(storeDeadline: Duration? = nil) async {
        let (events, waiters) = state.withLockedValue { state in
            defer { state.pending = []; state.waiters = []; state.pendingSince = nil }
            return (state.pending, state.waiters)
        }
        guard !events.isEmpty else { return }
        var outcome = await persist(events, storeDeadline: storeDeadline)
        // Before the answer: an acknowledged view is in the history or its spool.
        if case .success = outcome {
            outcome = await persistHistory(events, storeDeadline: storeDeadline)
        }
        for waiter in waiters {
            switch outcome {
            case .success: waiter.continuation.resume()
            case .failure(let error): waiter.continuation.resume(throwing: error)
            }
        }
    }
}
