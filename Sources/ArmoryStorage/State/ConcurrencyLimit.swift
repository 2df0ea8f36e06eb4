import Synchronization

/// At most `limit` operations at once; the rest wait in line, first come first served. A waiter
/// whose task is cancelled (a request past its time budget) leaves the line at once with
/// `CancellationError`, so work nobody waits for any more never starts.
///
/// What keeps per-request store reads from piling up: a store that slows down makes requests
/// wait here, where their budget cuts them off, instead of queueing work inside the store.
public final class ConcurrencyLimit: Sendable {
    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var running = 0
        var waiting: [Waiter] = []
        var nextID: UInt64 = 0
        /// Waiters given an id but not yet in line, and those of them already cancelled (the
        /// cancellation handler can run before the waiter queues).
        var arriving: Set<UInt64> = []
        var cancelledEarly: Set<UInt64> = []
    }

    /// The most operations at once.
    public let limit: Int
    private let state = Mutex(State())

    /// A limit of `limit` operations at once (at least one).
    public init(_ limit: Int) {
        self.limit = max(1, limit)
    }

    /// Runs `operation` once fewer than `limit` others run.
    public func run<T>(_ operation: () async throws -> T) async throws -> T {
        try await acquire()
        defer { release() }
        return try await operation()
    }

    /// Operations running now.
    public var running: Int { state.withLock { $0.running } }

    private func acquire() async throws {
        let admitted = state.withLock { state -> Bool in
            guard state.running < limit, state.waiting.isEmpty else { return false }
            state.running += 1
            return true
        }
        if admitted { return }
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            state.arriving.insert(state.nextID)
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome = state.withLock { state -> Result<Void, any Error>? in
                    state.arriving.remove(id)
                    if state.cancelledEarly.remove(id) != nil { return .failure(CancellationError()) }
                    if state.running < limit, state.waiting.isEmpty {
                        state.running += 1
                        return .success(())
                    }
                    state.waiting.append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                guard let index = state.waiting.firstIndex(where: { $0.id == id }) else {
                    if state.arriving.contains(id) { state.cancelledEarly.insert(id) }
                    return nil
                }
                return state.waiting.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    private func release() {
        let next = state.withLock { state -> Waiter? in
            guard !state.waiting.isEmpty else {
                state.running -= 1
                return nil
            }
            // The slot passes straight to the next in line.
            return state.waiting.removeFirst()
        }
        next?.continuation.resume()
    }
}
