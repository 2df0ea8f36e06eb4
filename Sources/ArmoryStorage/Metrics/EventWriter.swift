import ArmoryKit
import Foundation
import Logging
import ServiceLifecycle
import NIOConcurrencyHelpers
import Synchronization

/// Writes events to the metrics store in batches, and never loses one it acknowledged.
///
/// ``write(_:)`` returns once its events are durable: inserted into the store, or, when the
/// store fails, appended to a spool file on disk (fsync). Spooled batches are replayed in order
/// when the store answers again, before newer events. A replayed or retried event counts once
/// (the store dedupes by event id). The queue is bounded: when it is full, ``write(_:)`` throws
/// ``Busy`` at once instead of growing memory. On graceful shutdown it flushes what it holds.
public final class EventWriter: Service, Sendable {
    /// Batching, bounds and where the spool lives.
    public struct Configuration: Sendable {
        /// How often the writer looks at its queue: a ``write(_:)`` waits about this long.
        public var flushInterval: Duration = .milliseconds(50)
        /// How long events queued by ``enqueue(_:)`` (impressions) may wait when no ``write(_:)``
        /// waits with them: a flush every `flushInterval` under steady impressions alone would
        /// be 20 small inserts a second, and ClickHouse does far better with one large one
        /// (about a third of its CPU per event, measured). A full batch goes at once.
        public var queuedEventDelay: Duration = .seconds(1)
        /// The most events per insert, and how many waiting make a flush start at once. Large
        /// enough that a busy server's impressions go in about one insert a second, as
        /// ClickHouse advises: each insert is a part on disk, written and later merged, and at
        /// 10,000 (2.5 inserts a second at 25,000 recommendations a second) ClickHouse used
        /// two to three times the CPU per recommendation (11–17 µs instead of 4–7, measured).
        public var batchSize = 50_000
        /// The most events waiting in memory; more is ``Busy``.
        public var capacity = 500_000
        /// How long to wait after a failed insert before trying the store again.
        public var retryInterval: Duration = .seconds(1)
        /// The spool's folder.
        public var spoolDirectory: String

        /// Defaults, with the spool in `spoolDirectory`.
        public init(spoolDirectory: String) {
            self.spoolDirectory = spoolDirectory
        }
    }

    /// The queue is full: try again shortly.
    public struct Busy: Error, Sendable, CustomStringConvertible {
        public var description: String { "the event queue is full; retry shortly" }
    }

    /// The writer is shutting down and takes no more events.
    public struct Stopped: Error, Sendable, CustomStringConvertible {
        public var description: String { "the event writer is shutting down" }
    }

    /// The events could not be made durable (the store and the spool both failed).
    public struct NotDurable: Error, Sendable, CustomStringConvertible {
        public var description: String
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
    }

    private struct Waiter {
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var pending: [Event] = []
        var waiters: [Waiter] = []
        /// When the oldest of `pending` was queued.
        var pendingSince: ContinuousClock.Instant?
        var isStopping = false
        var retryAfter: ContinuousClock.Instant?
        var statistics = Statistics()

        mutating func append(_ events: [Event]) {
            if pending.isEmpty { pendingSince = .now }
            pending += events
        }
    }

    private let store: any MetricsStore
    private let history: (any StateStore)?
    private let onHistoryAppended: @Sendable ([String]) -> Void
    private let configuration: Configuration
    private let logger: Logger
    private let state = NIOLockedValueBox(State())
    private let spool: Mutex<EventSpool>

    /// A writer into `store`. Views and likes are also appended to `history` (the state store),
    /// after which `onHistoryAppended` is told which users changed.
    public init(
        store: any MetricsStore, history: (any StateStore)? = nil, configuration: Configuration,
        logger: Logger = Logger(label: "armory.events"), onHistoryAppended: @escaping @Sendable ([String]) -> Void = { _ in }
    ) throws {
        self.store = store
        self.history = history
        self.configuration = configuration
        self.logger = logger
        self.onHistoryAppended = onHistoryAppended
        spool = Mutex(try EventSpool(directory: configuration.spoolDirectory))
    }

    /// Queues `events` and returns once they are durable. Throws ``Busy`` when the queue is
    /// full, ``Stopped`` after ``stop()``, and ``NotDurable`` when neither the store nor the
    /// spool could take them.
    public func write(_ events: [Event]) async throws {
        guard !events.isEmpty else { return }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let refusal = state.withLockedValue { state -> (any Error)? in
                guard !state.isStopping else { return Stopped() }
                guard state.pending.count + events.count <= configuration.capacity else { return Busy() }
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
    /// uncounted. Throws ``Busy`` or ``Stopped`` like ``write(_:)``.
    public func enqueue(_ events: [Event]) throws {
        let refusal = state.withLockedValue { state -> (any Error)? in
            guard !state.isStopping else { return Stopped() }
            guard state.pending.count + events.count <= configuration.capacity else { return Busy() }
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
                        try? await Task.sleep(for: self.configuration.flushInterval)
                    }
                }
            }
        } onGracefulShutdown: {
            self.stop()
        }
        await flush()
        await replaySpool()
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

    /// Writes what is queued: to the store, or to the spool when older batches still wait there
    /// (to keep their order) or the store is failing.
    func flush() async {
        let (events, waiters) = state.withLockedValue { state in
            defer { state.pending = []; state.waiters = []; state.pendingSince = nil }
            return (state.pending, state.waiters)
        }
        guard !events.isEmpty else { return }
        let outcome = await persist(events)
        for waiter in waiters {
            switch outcome {
            case .success: waiter.continuation.resume()
            case .failure(let error): waiter.continuation.resume(throwing: error)
            }
        }
        if case .success = outcome { await appendHistory(events) }
    }

    private func persist(_ events: [Event]) async -> Result<Void, NotDurable> {
        var remaining = events[...]
        let spoolIsEmpty = spool.withLock { $0.pendingBytes == 0 }
        let storeIsDue = state.withLockedValue { $0.retryAfter.map { ContinuousClock.now >= $0 } ?? true }
        if spoolIsEmpty && storeIsDue {
            while !remaining.isEmpty {
                let batch = Array(remaining.prefix(configuration.batchSize))
                do {
                    try await store.insert(batch)
                    remaining = remaining.dropFirst(batch.count)
                    state.withLockedValue { $0.statistics.inserted += batch.count }
                } catch {
                    noteFailure(error)
                    break
                }
            }
        }
        guard !remaining.isEmpty else { return .success(()) }
        do {
            let batches = stride(from: remaining.startIndex, to: remaining.endIndex, by: configuration.batchSize).map {
                Array(remaining[$0..<min($0 + configuration.batchSize, remaining.endIndex)])
            }
            try spool.withLock { spool in
                for batch in batches { try spool.append(batch) }
            }
            state.withLockedValue { $0.statistics.spooled += remaining.count }
            return .success(())
        } catch {
            logger.error("cannot spool events; they are not acknowledged", metadata: ["error": "\(error)"])
            return .failure(NotDurable(description: "the metrics store and the spool both failed: \(error)"))
        }
    }

    private func replaySpool() async {
        guard state.withLockedValue({ $0.retryAfter.map { ContinuousClock.now >= $0 } ?? true }) else { return }
        while true {
            let next: (events: [Event], end: Int)?
            do {
                next = try spool.withLock { try $0.next() }
            } catch let unreadable as EventSpool.UnreadableBatch {
                logger.error("an unreadable batch in the event spool was set aside in events.spool.rejected",
                             metadata: ["error": "\(unreadable.underlying)"])
                try? spool.withLock { try $0.setAside(unreadable) }
                continue
            } catch {
                logger.error("cannot read the event spool", metadata: ["error": "\(error)"])
                return
            }
            guard let (events, end) = next else { return }
            do {
                try await store.insert(events)
                try spool.withLock { try $0.markReplayed(upTo: end) }
                state.withLockedValue { $0.statistics.inserted += events.count }
                logger.info("replayed spooled events", metadata: ["count": "\(events.count)"])
            } catch {
                noteFailure(error)
                return
            }
        }
    }

    private func noteFailure(_ error: any Error) {
        let retryAfter = ContinuousClock.now + configuration.retryInterval
        state.withLockedValue {
            $0.statistics.failures += 1
            $0.retryAfter = retryAfter
        }
        logger.warning("metrics store failed; spooling events until it answers", metadata: ["error": "\(error)"])
    }

    private func appendHistory(_ events: [Event]) async {
        guard let history else { return }
        let views = events.filter { $0.type == .view }.map { UserEvent(userID: $0.userID, movieID: $0.movieID, time: $0.time) }
        let likes = events.filter { $0.type == .like }.map { UserEvent(userID: $0.userID, movieID: $0.movieID, time: $0.time) }
        guard !views.isEmpty || !likes.isEmpty else { return }
        do {
            try await history.appendViews(views)
            try await history.appendLikes(likes)
            onHistoryAppended(Array(Set(views.map(\.userID) + likes.map(\.userID))))
        } catch {
            state.withLockedValue { $0.statistics.historyFailures += 1 }
            logger.warning("cannot append views and likes to users' histories", metadata: ["error": "\(error)"])
        }
    }
}
