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
        // The wait is 5 µs; the bound only shows it ends (generous: a loaded test process can
        // deschedule this thread for seconds).
        #expect(clock.now - start < .seconds(10))
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

    @Test("an arm's calls are placed by their recent average: new and quick ones inline, slow ones on the module threads")
    func callCost() {
        let cost = ModuleCallCost(arm: "e/a")
        #expect(cost.isShort && cost.averageNanoseconds == 0, "a new arm runs inline")
        cost.record(nanoseconds: 2_000)
        #expect(cost.averageNanoseconds == 2_000 && cost.isShort)
        // Each call weighs an eighth: after enough 80 µs calls the average passes 20 µs.
        var calls = 0
        while cost.isShort {
            cost.record(nanoseconds: 80_000)
            calls += 1
        }
        #expect(calls == 2, "2 → 11.75 → 20.28 µs")
        #expect(cost.averageNanoseconds >= ModuleIsolation.inlineCallCost)
        for _ in 0..<40 { cost.record(nanoseconds: 1_000) }
        #expect(cost.isShort, "quick again, inline again")
    }
}
