@testable import ArmoryServer
import Dispatch
import Synchronization
import Testing

@Suite("The deadline timer behind every time budget")
struct DeadlineTimerTests {
    @Test("each callback fires once, never early, at most a little late, and in order among equal delays")
    func firesInOrder() async throws {
        let delays: [Duration] = [.milliseconds(3), .milliseconds(20), .milliseconds(45)]
        // (delay index, sequence within that delay, nanoseconds late)
        let fired = Mutex<[(delay: Int, sequence: Int, late: Int64)]>([])
        for sequence in 0..<100 {
            for (index, delay) in delays.enumerated() {
                let scheduled = DispatchTime.now().uptimeNanoseconds
                DeadlineTimer.shared.schedule(after: delay) {
                    let elapsed = Int64(DispatchTime.now().uptimeNanoseconds - scheduled)
                    let late = elapsed - Int64(delay.components.attoseconds / 1_000_000_000)
                    fired.withLock { $0.append((index, sequence, late)) }
                }
            }
            if sequence % 10 == 0 { try await Task.sleep(for: .milliseconds(1)) }
        }
        let start = ContinuousClock.now
        while fired.withLock({ $0.count }) < 300, ContinuousClock.now - start < .seconds(5) {
            try await Task.sleep(for: .milliseconds(10))
        }
        let all = fired.withLock { $0 }
        #expect(all.count == 300)
        #expect(all.allSatisfy { $0.late >= 0 }, "a deadline fired early")
        // Rounding up to the next millisecond adds at most 1 ms; the rest is this machine's
        // scheduling, loose because the other suites keep both cores busy.
        #expect(all.allSatisfy { $0.late < 500_000_000 }, "a deadline fired \(all.map(\.late).max() ?? 0) ns late")
        for index in delays.indices {
            #expect(all.filter { $0.delay == index }.map(\.sequence) == Array(0..<100), "delay \(delays[index]) fired out of order")
        }
    }
}
