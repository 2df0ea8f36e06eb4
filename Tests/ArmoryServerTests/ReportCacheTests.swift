import Foundation
import Synchronization
import Testing

@testable import ArmoryServer

/// The results pages' read cache, driven by reads the test holds open (no timing).
@Suite("Results page reads: kept while the experiment is unchanged, shared while under way")
struct ReportCacheTests {
    /// A read the test lets finish when it chooses, counting how often it ran.
    final class HeldRead: Sendable {
        let started: AsyncStream<Void>
        private let startedSink: AsyncStream<Void>.Continuation
        private let release = Mutex<CheckedContinuation<Void, Never>?>(nil)
        private let released = Mutex(false)
        let count = Mutex(0)

        init() { (started, startedSink) = AsyncStream.makeStream() }

        func read(_ value: Int) async throws -> Int {
            count.withLock { $0 += 1 }
            startedSink.yield()
            await withCheckedContinuation { continuation in
                let open = released.withLock { $0 }
                if open { continuation.resume() } else { release.withLock { $0 = continuation } }
            }
            return value
        }

        func finish() {
            released.withLock { $0 = true }
            release.withLock { $0?.resume(); $0 = nil }
        }
    }

    @Test("loads during a read wait for it; a later load with the same state is served the kept read; a new state reads again")
    func sharing() async throws {
        let cache = ReportCache<Int>(freshness: .seconds(3_600))
        let held = HeldRead()
        let first = Task { try await cache.report(for: "x", state: [1]) { try await held.read(7) } }
        var started = held.started.makeAsyncIterator()
        _ = await started.next()
        let second = Task { try await cache.report(for: "x", state: [1]) { try await held.read(8) } }
        held.finish()
        let values = (try await first.value, try await second.value)
        #expect(values == (7, 7))
        #expect(try await cache.report(for: "x", state: [1]) { 9 } == 7)
        #expect(held.count.withLock { $0 } == 1)
        #expect(try await cache.report(for: "x", state: [2]) { 10 } == 10, "a rollback or pause is a new state")
        #expect(try await cache.report(for: "y", state: [2]) { 11 } == 11, "experiments are kept apart")
    }

    @Test("a failed read is not kept, and a freshness of 0 reads every time")
    func failuresAndNoFreshness() async throws {
        struct Failure: Error {}
        let cache = ReportCache<Int>(freshness: .seconds(3_600))
        await #expect(throws: Failure.self) { try await cache.report(for: "x", state: [1]) { throw Failure() } }
        #expect(try await cache.report(for: "x", state: [1]) { 3 } == 3)
        let uncached = ReportCache<Int>(freshness: .zero)
        #expect(try await uncached.report(for: "x", state: [1]) { 1 } == 1)
        #expect(try await uncached.report(for: "x", state: [1]) { 2 } == 2)
    }
}
