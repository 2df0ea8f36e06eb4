import ArmoryStorage
import Synchronization
import Testing

@Suite("ConcurrencyLimit: at most N at once, first come first served, cancelled waiters leave")
struct ConcurrencyLimitTests {
    /// Counts how many operations run at once, and the most ever.
    final class Gauge: Sendable {
        let state = Mutex((now: 0, most: 0, order: [Int]()))

        func enter(_ id: Int) {
            state.withLock { state in
                state.now += 1
                state.most = max(state.most, state.now)
                state.order.append(id)
            }
        }

        func leave() {
            state.withLock { $0.now -= 1 }
        }
    }

    @Test("40 operations through a limit of 3 never run more than 3 at once, and all run")
    func bound() async throws {
        let limit = ConcurrencyLimit(3)
        let gauge = Gauge()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for id in 0..<40 {
                group.addTask {
                    try await limit.run {
                        gauge.enter(id)
                        try await Task.sleep(for: .milliseconds(2))
                        gauge.leave()
                    }
                }
            }
            try await group.waitForAll()
        }
        let state = gauge.state.withLock { $0 }
        #expect(state.most == 3)
        #expect(state.order.count == 40)
        #expect(limit.running == 0)
    }

    @Test("a waiter whose task is cancelled leaves the line at once and never runs; the others keep their turn")
    func cancelledWaiter() async throws {
        let limit = ConcurrencyLimit(1)
        let gauge = Gauge()
        let (release, releaseInput) = AsyncStream.makeStream(of: Void.self)
        // The one slot is held until released.
        let holder = Task {
            try await limit.run {
                gauge.enter(0)
                for await _ in release { break }
                gauge.leave()
            }
        }
        while gauge.state.withLock({ $0.order.isEmpty }) { await Task.yield() }
        let cancelled = Task { try await limit.run { gauge.enter(1) } }
        let waiting = Task { try await limit.run { gauge.enter(2) } }
        try await Task.sleep(for: .milliseconds(50))
        let started = ContinuousClock.now
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        // The slot is still held, so returning at all shows it left the line without the slot;
        // the bound is generous because a loaded test process can take seconds to schedule it.
        #expect(ContinuousClock.now - started < .seconds(30), "it left the line without waiting for the slot")
        releaseInput.yield()
        try await holder.value
        try await waiting.value
        #expect(gauge.state.withLock { $0.order } == [0, 2])
        #expect(limit.running == 0)
    }

    @Test("a task cancelled before it asks never runs")
    func cancelledBefore() async throws {
        let limit = ConcurrencyLimit(1)
        let gauge = Gauge()
        let (release, releaseInput) = AsyncStream.makeStream(of: Void.self)
        let holder = Task { try await limit.run { for await _ in release { break } } }
        while limit.running == 0 { await Task.yield() }
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await limit.run { gauge.enter(1) }
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        releaseInput.yield()
        try await holder.value
        #expect(gauge.state.withLock { $0.order }.isEmpty)
    }
}
