import ArmoryCore
import Dispatch
import Synchronization

/// Runs work that may not take longer than a budget.
enum TimeBudget {
    /// Thrown when the work did not finish within its budget.
    struct Overrun: Error {
        var budget: Duration
    }

    /// The result of `operation`, or ``Overrun`` once `budget` has passed, whichever comes first.
    ///
    /// The operation runs in a task of its own — on the cooperative pool or on the module
    /// threads, as `isolation` decides for `arm` — that is cancelled on overrun but not awaited:
    /// a module that ignores cancellation (a blocking loop, say) cannot hold the caller past its
    /// budget. Such a task keeps its thread until it returns, and its result is dropped. This is
    /// the one place Armory starts a task it does not wait for, and that is why.
    static func run<T: Sendable>(
        _ budget: Duration, isolation: ModuleIsolation, arm: String, _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let race = Race<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                race.start(continuation)
                let work = Task(executorPreference: globalConcurrentExecutor) {
                    // The slot is taken once the task runs, so a queue of requests waiting for a
                    // thread does not fill it; a call that cannot have one moves to the module threads.
                    if isolation.enterInline(arm) {
                        defer { isolation.leave() }
                        do { race.finish(.success(try await operation())) } catch { race.finish(.failure(error)) }
                    } else {
                        await withTaskExecutorPreference(isolation.executor) {
                            do { race.finish(.success(try await operation())) } catch { race.finish(.failure(error)) }
                        }
                    }
                }
                // The timer has a thread of its own, not a task, so it fires on time even when
                // every cooperative thread is busy. After an answer it is a no-op.
                DeadlineTimer.shared.schedule(after: budget) {
                    race.finish(.failure(Overrun(budget: budget))) { isolation.quarantine(arm) }
                }
                race.onFinish { work.cancel() }
            }
        } onCancel: {
            race.finish(.failure(CancellationError()))
        }
    }

    /// The first of several outcomes to arrive resumes the continuation; the rest are dropped.
    private final class Race<T: Sendable>: Sendable {
        private struct State {
            var continuation: CheckedContinuation<T, any Error>?
            var outcome: Result<T, any Error>?
            var cleanup: (@Sendable () -> Void)?
            var isFinished = false
        }

        private let state = Mutex(State())

        func start(_ continuation: CheckedContinuation<T, any Error>) {
            let early = state.withLock { state -> Result<T, any Error>? in
                if state.isFinished, let outcome = state.outcome {
                    state.outcome = nil
                    return outcome
                }
                state.continuation = continuation
                return nil
            }
            if let early { continuation.resume(with: early) }
        }

        func onFinish(_ cleanup: @escaping @Sendable () -> Void) {
            let runNow = state.withLock { state -> Bool in
                if state.isFinished { return true }
                state.cleanup = cleanup
                return false
            }
            if runNow { cleanup() }
        }

        /// Settles the race with `outcome` unless it is settled; when this call settles it,
        /// `whenFirst` runs before the waiter resumes.
        func finish(_ outcome: Result<T, any Error>, whenFirst: () -> Void = {}) {
            let (isFirst, continuation, cleanup) = state.withLock { state -> (Bool, CheckedContinuation<T, any Error>?, (@Sendable () -> Void)?) in
                guard !state.isFinished else { return (false, nil, nil) }
                state.isFinished = true
                guard let continuation = state.continuation else {
                    // Cancelled before the continuation was handed over; `start` resumes it.
                    state.outcome = outcome
                    return (true, nil, state.cleanup)
                }
                state.continuation = nil
                return (true, continuation, state.cleanup)
            }
            if isFirst { whenFirst() }
            continuation?.resume(with: outcome)
            cleanup?()
        }
    }
}
