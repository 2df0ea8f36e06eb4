import ArmoryStorage
import Foundation
import Synchronization

/// Decides where a module call runs. Calls of an arm whose module answers quickly start at once
/// on the calling request's thread and stay on Swift's cooperative pool, which costs no thread
/// hop (see ``TimeBudget``). The module threads (a ``ThreadExecutor``) cost two thread wake-ups
/// per call, which pays for itself when the call is long, and a module that blocks its thread
/// there stalls only itself, not the cooperative threads every request (and the timer that
/// enforces the budget) needs:
///
/// - an arm whose calls take longer than ``inlineCallCost`` on average (its ``ModuleCallCost``)
///   runs on the module threads: a long call on the cooperative pool holds one of the few
///   threads every request needs (one per core), and the others queue behind it;
/// - at most `inlineLimit` calls (one fewer than the cores) run on the cooperative pool at a
///   time, so a module that blocks its thread can never take every cooperative thread — one is
///   always left for other requests;
/// - an arm whose module overran its budget runs on the module threads for `quarantine` after.
public final class ModuleIsolation: Sendable {
    /// The isolation every ``ArmRecommender`` uses unless given another.
    public static let shared = ModuleIsolation(
        inlineLimit: max(1, ProcessInfo.processInfo.activeProcessorCount - 1),
        executor: ThreadExecutor(threads: max(8, 4 * ProcessInfo.processInfo.activeProcessorCount), name: "armory-module"))

    /// The most calls on the cooperative pool at once.
    public let inlineLimit: Int
    /// How long an arm that overran stays on the module threads.
    public let quarantine: Duration
    /// The module threads.
    public let executor: ThreadExecutor
    /// Calls on the cooperative pool now. An atomic, not a lock: it is taken and given back
    /// on every request, by every cooperative thread.
    private let inline = Atomic<Int>(0)
    /// Arms on the module threads, until when; `quarantinedArms` counts them, so a call looks
    /// in the map only when there is something in it.
    private let quarantined = Mutex<[String: ContinuousClock.Instant]>([:])
    private let quarantinedArms = Atomic<Int>(0)

    /// Isolation with at most `inlineLimit` calls on the cooperative pool (0: every call on
    /// `executor`'s threads).
    public init(inlineLimit: Int, quarantine: Duration = .seconds(60), executor: ThreadExecutor) {
        self.inlineLimit = inlineLimit
        self.quarantine = quarantine
        self.executor = executor
    }

    /// How long a call waits for a slot before it turns to the module threads, in nanoseconds:
    /// about as long as a module answering from a cache takes. With every slot taken (on two
    /// cores there is one), the slot is nearly always free again within that, and a trip to
    /// the module threads costs more than the wait (figures in the commit that chose it). A
    /// slot held by a blocked module costs each call this wait until the budget moves the arm.
    static let slotWait: UInt64 = 5_000

    /// The average call duration, in nanoseconds, above which an arm's calls run on the module
    /// threads: about what the two thread wake-ups of a call there cost.
    static let inlineCallCost: UInt64 = 20_000

    /// Whether a call of `arm` may run on the cooperative pool now, waiting up to
    /// ``slotWait`` for a slot; when it returns true, the caller must call ``leave()`` when the
    /// call ends.
    func enterInline(_ arm: String) -> Bool {
        guard inlineLimit > 0, !isQuarantined(arm) else { return false }
        if tryTakeSlot() { return true }
        let start = DispatchTime.now().uptimeNanoseconds
        while DispatchTime.now().uptimeNanoseconds - start < Self.slotWait {
            if inline.load(ordering: .relaxed) < inlineLimit, tryTakeSlot() { return true }
        }
        return false
    }

    private func tryTakeSlot() -> Bool {
        var current = inline.load(ordering: .relaxed)
        while current < inlineLimit {
            let (taken, found) = inline.compareExchange(expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
            if taken { return true }
            current = found
        }
        return false
    }

    /// Ends a call that ``enterInline(_:)`` let in.
    func leave() {
        inline.subtract(1, ordering: .releasing)
    }

    /// Sends `arm`'s calls to the module threads for a while (it overran its budget).
    func quarantine(_ arm: String) {
        let until = ContinuousClock.now + quarantine
        quarantined.withLock { arms in
            if arms.updateValue(until, forKey: arm) == nil { quarantinedArms.add(1, ordering: .releasing) }
        }
    }

    /// Whether `arm` is on the module threads now (an arm whose time there is over is let go).
    public func isQuarantined(_ arm: String) -> Bool {
        guard quarantinedArms.load(ordering: .acquiring) > 0 else { return false }
        let now = ContinuousClock.now
        return quarantined.withLock { arms in
            guard let until = arms[arm] else { return false }
            guard until <= now else { return true }
            arms[arm] = nil
            quarantinedArms.subtract(1, ordering: .releasing)
            return false
        }
    }
}

/// How long one arm's module calls take lately: an exponentially weighted average of their
/// durations (each new call weighs an eighth), which ``ModuleIsolation`` places the arm's calls by.
/// Updated and read without a lock by every call; a lost update only delays the average.
final class ModuleCallCost: Sendable {
    /// The arm, as ``ModuleIsolation`` names it (`experiment/arm`).
    let arm: String
    private let average = Atomic<UInt64>(0)

    init(arm: String) {
        self.arm = arm
    }

    /// Adds a call of `nanoseconds` to the average.
    func record(nanoseconds: UInt64) {
        let current = average.load(ordering: .relaxed)
        let next = current == 0 ? nanoseconds : current - current / 8 + nanoseconds / 8
        average.store(max(next, 1), ordering: .relaxed)
    }

    /// Whether the arm's calls are short enough to run on the cooperative pool (a new arm is).
    var isShort: Bool { average.load(ordering: .relaxed) < ModuleIsolation.inlineCallCost }

    /// The average, in nanoseconds (0 before the first call).
    var averageNanoseconds: UInt64 { average.load(ordering: .relaxed) }
}
