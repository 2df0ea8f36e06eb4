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
    /// `budget` runs from the moment the operation starts; waiting for a thread counts only past
    /// a second allowance (the budget again, at least 100 ms). The operation runs in a task of
    /// its own — on the cooperative pool or on the module threads, as `isolation` decides for
    /// `arm` — that is cancelled on overrun but not awaited:
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
                // A quarantined arm goes straight to the module threads: it never waits for a
                // cooperative thread, however busy they are.
                let direct = isolation.usesModuleThreadsOnly(arm)
                let work = Task(executorPreference: direct ? isolation.executor : globalConcurrentExecutor) {
                    // The budget is the module's: it starts when the call does, not while the task
                    // waits for a thread behind other work.
                    DeadlineTimer.shared.schedule(after: budget) {
                        race.finish(.failure(Overrun(budget: budget))) { isolation.quarantine(arm) }
                    }
                    @Sendable func attempt() async {
                        do { race.finish(.success(try await operation())) } catch { race.finish(.failure(error)) }
                    }
                    // The slot is taken once the task runs, so a queue of requests waiting for a
                    // thread does not fill it; a call that cannot have one moves to the module threads.
                    if direct {
                        await attempt()
                    } else if isolation.enterInline(arm) {
                        defer { isolation.leave() }
                        await attempt()
                    } else {
                        await withTaskExecutorPreference(isolation.executor) { await attempt() }
                    }
                }
                // The timers have a thread of their own, not a task, so they fire on time even
                // when every cooperative thread is busy; after an answer they are no-ops. This one
                // bounds the whole wait, should the call not start at all (every thread taken):
                // the arm then moves to the module threads.
                let allowance = budget + max(budget, .milliseconds(100))
                DeadlineTimer.shared.schedule(after: allowance) {
                    race.finish(.failure(Overrun(budget: allowance))) { isolation.quarantine(arm) }
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
