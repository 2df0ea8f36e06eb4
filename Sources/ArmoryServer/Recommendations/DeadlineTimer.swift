import Dispatch
import Foundation
import NIOCore
import NIOConcurrencyHelpers

/// Fires callbacks at deadlines from one thread of its own: the time budget of every module
/// call. The thread is outside Swift's cooperative pool, so it fires on time even when every
/// cooperative thread is busy or blocked.
///
/// Built for many deadlines that almost never matter (a module answers long before its budget
/// runs out, and the callback finds nothing to do):
/// - deadlines are rounded up to the next millisecond, so the thread wakes at most once a
///   millisecond however many calls there are (waking for each call's deadline cost a thread
///   switch per request), and fires at most a millisecond late;
/// - calls with the same delay (an experiment's budget) arrive in deadline order, so each delay
///   has a first-in-first-out queue: scheduling appends, firing takes from the front, and only
///   the fronts of the few queues are compared.
final class DeadlineTimer: Sendable {
    /// The timer module calls use.
    static let shared = DeadlineTimer()

    /// The resolution deadlines are rounded up to, in nanoseconds.
    static let tick: UInt64 = 1_000_000

    private struct Entry {
        var deadline: UInt64
        var fire: @Sendable () -> Void
    }

    private struct State {
        /// One queue per delay, in deadline order.
        var queues: [(delay: UInt64, entries: CircularBuffer<Entry>)] = []
        /// When the thread will wake on its own (`UInt64.max`: not until signalled).
        var sleepingUntil = UInt64.max

        var earliest: UInt64 {
            queues.reduce(UInt64.max) { min($0, $1.entries.first?.deadline ?? .max) }
        }
    }

    private let state = NIOLockedValueBox(State())
    private let wakeUp = DispatchSemaphore(value: 0)

    private init() {
        let thread = Thread { [self] in loop() }
        thread.name = "armory-deadlines"
        thread.start()
    }

    /// Calls `fire` once `delay` has passed, up to a millisecond later (on the timer's thread;
    /// keep it short).
    func schedule(after delay: Duration, _ fire: @escaping @Sendable () -> Void) {
        let nanoseconds = UInt64(max(0, delay.timeInterval) * 1e9)
        let mustWake = state.withLockedValue { state -> Bool in
            // Read under the lock, so each queue stays in deadline order.
            let exact = DispatchTime.now().uptimeNanoseconds &+ nanoseconds
            let deadline = (exact / Self.tick + 1) * Self.tick
            let entry = Entry(deadline: deadline, fire: fire)
            if let index = state.queues.firstIndex(where: { $0.delay == nanoseconds }) {
                state.queues[index].entries.append(entry)
            } else {
                state.queues.append((nanoseconds, CircularBuffer([entry])))
            }
            guard deadline < state.sleepingUntil else { return false }
            state.sleepingUntil = deadline
            return true
        }
        if mustWake { wakeUp.signal() }
    }

    private func loop() {
        while true {
            let now = DispatchTime.now().uptimeNanoseconds
            var due: [@Sendable () -> Void] = []
            let next = state.withLockedValue { state -> UInt64 in
                for index in state.queues.indices {
                    while let first = state.queues[index].entries.first, first.deadline <= now {
                        due.append(state.queues[index].entries.removeFirst().fire)
                    }
                }
                state.queues.removeAll { $0.entries.isEmpty }
                state.sleepingUntil = state.earliest
                return state.sleepingUntil
            }
            for fire in due { fire() }
            if next == .max {
                wakeUp.wait()
            } else {
                _ = wakeUp.wait(timeout: DispatchTime(uptimeNanoseconds: next))
            }
        }
    }
}
