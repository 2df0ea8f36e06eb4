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
    /// `budget` runs from the moment the operation starts. The operation runs in a task of its
    /// own that is cancelled on overrun but not awaited: a module that ignores cancellation
    /// cannot hold the caller past its budget once it awaits. Such a task keeps its thread
    /// until it returns, and its result is dropped. This is the one place Armory starts a task
    /// it does not wait for, and that is why. Where the task runs is `isolation`'s choice for
    /// `arm`:
    ///
    /// - While one of the cooperative slots is free, the task starts at once on the caller's
    ///   thread (`Task.immediateDetached`) and runs there until it first suspends. A module
    ///   that answers without suspending (a cached list) costs no thread hop and no wake-up;
    ///   one that awaits is raced against the budget from there. The price: a module that *blocks* its thread
    ///   holds its caller until it returns. The caller is then answered by the fallback (late),
    ///   and the deadline that passed has already moved the arm to the module threads, so the
    ///   calls after it are held to the budget strictly. At most the slots (one fewer than the
    ///   cores, and at least one) can be held that way, so on two or more cores one cooperative
    ///   thread is always left.
    /// - Otherwise (the arm's calls are long on average, no slot is free, or the arm overran
    ///   lately) it runs on the module threads,
    ///   where a blocked module stalls only itself. Waiting for a module thread counts only past
    ///   a second allowance (the budget again, at least 100 ms).
    static func run<T: Sendable>(
        _ budget: Duration, isolation: ModuleIsolation, cost: ModuleCallCost, _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let race = Race<T>()
        let arm = cost.arm
        // The timers have a thread of their own, not a task, so they fire on time even when
        // every cooperative thread is busy; after an answer they are no-ops.
        if cost.isShort, isolation.enterInline(arm) {
            DeadlineTimer.shared.schedule(after: budget) {
                race.overrun(budget) { isolation.quarantine(arm) }
            }
            // Detached: copying the request's task-local values (the service group's) into
            // every call cost more allocations than the call; modules have no use for them.
            let work = Task.immediateDetached {
                defer { isolation.leave() }
                let start = DispatchTime.now().uptimeNanoseconds
                do { race.finish(.success(try await operation())) } catch { race.finish(.failure(error)) }
                cost.record(nanoseconds: DispatchTime.now().uptimeNanoseconds - start)
            }
            return try await race.outcome(cancelling: work)
        }
        let work = Task(executorPreference: isolation.executor) {
            // The budget is the module's: it starts when the call does, not while the task
            // waits for a thread behind other work.
            DeadlineTimer.shared.schedule(after: budget) {
                race.overrun(budget) { isolation.quarantine(arm) }
            }
            let start = DispatchTime.now().uptimeNanoseconds
            do { race.finish(.success(try await operation())) } catch { race.finish(.failure(error)) }
            cost.record(nanoseconds: DispatchTime.now().uptimeNanoseconds - start)
        }
        // This one bounds the whole wait, should the call not start at all.
        let allowance = budget + max(budget, .milliseconds(100))
        DeadlineTimer.shared.schedule(after: allowance) {
            race.overrun(allowance) { isolation.quarantine(arm) }
        }
        return try await race.outcome(cancelling: work)
    }

    /// The first of several outcomes to arrive is the result; the rest are dropped.
    private final class Race<T: Sendable>: Sendable {
        private struct State {
            var continuation: UnsafeContinuation<T, any Error>?
            var outcome: Result<T, any Error>?
            var isFinished = false
            var work: Task<Void, Never>?
        }

        private let state = Mutex(State())

        /// The outcome: at once when the race is already settled (a module that answered
        /// without suspending), otherwise when it is; `work` is cancelled if it is still running
        /// then, and when the caller is cancelled the race ends with `CancellationError`.
        func outcome(cancelling work: Task<Void, Never>) async throws -> T {
            if let settled = state.withLock({ $0.isFinished ? $0.outcome.take() : nil }) {
                // Settled by the deadline while the module ran on this thread: it may still await.
                if case .failure = settled { work.cancel() }
                return try settled.get()
            }
            return try await withTaskCancellationHandler {
                try await withUnsafeThrowingContinuation { continuation in
                    let settled = state.withLock { state -> Result<T, any Error>? in
                        if state.isFinished { return state.outcome.take() }
                        state.continuation = continuation
                        state.work = work
                        return nil
                    }
                    if let settled {
                        work.cancel()
                        continuation.resume(with: settled)
                    }
                }
            } onCancel: {
                self.finish(.failure(CancellationError()))
            }
        }

        /// Settles the race with ``Overrun`` unless it is settled. Almost every deadline comes
        /// after the answer, so this looks before it makes the error (an allocation).
        func overrun(_ budget: Duration, whenFirst: () -> Void) {
            guard !state.withLock({ $0.isFinished }) else { return }
            finish(.failure(Overrun(budget: budget)), whenFirst: whenFirst)
        }

        /// Settles the race with `outcome` unless it is settled; when this call settles it,
        /// `whenFirst` runs before the waiter resumes.
        func finish(_ outcome: Result<T, any Error>, whenFirst: () -> Void = {}) {
            let settled = state.withLock { state -> (continuation: UnsafeContinuation<T, any Error>?, work: Task<Void, Never>?)? in
                guard !state.isFinished else { return nil }
                state.isFinished = true
                guard let continuation = state.continuation else {
                    // Nobody waits yet: `outcome(cancelling:)` takes it.
                    state.outcome = outcome
                    return (nil, nil)
                }
                state.continuation = nil
                defer { state.work = nil }
                return (continuation, state.work)
            }
            guard let settled else { return }
            whenFirst()
            settled.work?.cancel()
            settled.continuation?.resume(with: outcome)
        }
    }
}

private extension Optional {
    /// The value, leaving `nil` behind.
    mutating func take() -> Wrapped? {
        defer { self = nil }
        return self
    }
}
