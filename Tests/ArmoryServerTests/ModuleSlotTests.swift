@testable import ArmoryServer
import ArmoryStorage
import Testing

@Suite("Slots on the cooperative pool for module calls")
struct ModuleSlotTests {
    @Test("a call waits a few microseconds for a taken slot, then turns to the module threads")
    func takenSlot() {
        let isolation = ModuleIsolation(inlineLimit: 1, executor: ThreadExecutor(threads: 1, name: "test-module"))
        #expect(isolation.enterInline("e/a"))
        let clock = ContinuousClock()
        let start = clock.now
        #expect(!isolation.enterInline("e/b"), "two calls on one slot")
        // The wait is 5 µs; the bound only shows it ends.
        #expect(clock.now - start < .milliseconds(100))
        isolation.leave()
        #expect(isolation.enterInline("e/b"))
        isolation.leave()
        let none = ModuleIsolation(inlineLimit: 0, executor: ThreadExecutor(threads: 1, name: "test-module"))
        #expect(!none.enterInline("e/a"))
    }

    @Test("a quarantined arm takes no slot until its time on the module threads is over; other arms still do")
    func quarantinedArm() async throws {
        let isolation = ModuleIsolation(inlineLimit: 1, quarantine: .milliseconds(100), executor: ThreadExecutor(threads: 1, name: "test-module"))
        isolation.quarantine("e/slow")
        isolation.quarantine("e/slow")
        #expect(isolation.isQuarantined("e/slow") && !isolation.enterInline("e/slow"))
        #expect(isolation.enterInline("e/fast"))
        isolation.leave()
        try await Task.sleep(for: .milliseconds(150))
        #expect(!isolation.isQuarantined("e/slow"))
        #expect(isolation.enterInline("e/slow"))
        isolation.leave()
        // Quarantined again after it was let go: counted afresh.
        isolation.quarantine("e/slow")
        #expect(isolation.isQuarantined("e/slow") && !isolation.enterInline("e/slow"))
    }
}
