import Foundation
import Synchronization

/// Decides where a module call runs. Most calls start at once on the calling request's thread
/// and stay on Swift's cooperative pool, which costs no thread hop (see ``TimeBudget``); the
/// module threads of ``ModuleExecutor`` cost two thread wake-ups per call, so they are kept for
/// the calls that need them:
///
/// - at most `inlineLimit` calls (one fewer than the cores) run on the cooperative pool at a
///   time, so a module that blocks its thread can never take every cooperative thread — one is
///   always left for other requests;
/// - an arm whose module overran its budget runs on the module threads for `quarantine` after.
public final class ModuleIsolation: Sendable {
    /// The isolation every ``ArmRecommender`` uses unless given another.
    public static let shared = ModuleIsolation(
        inlineLimit: max(1, ProcessInfo.processInfo.activeProcessorCount - 1), executor: .shared)

    /// The most calls on the cooperative pool at once.
    public let inlineLimit: Int
    /// How long an arm that overran stays on the module threads.
    public let quarantine: Duration
    /// The module threads.
    public let executor: ModuleExecutor
    private let state = Mutex<(inline: Int, quarantined: [String: ContinuousClock.Instant])>((0, [:]))

    /// Isolation with at most `inlineLimit` calls on the cooperative pool (0: every call on
    /// `executor`'s threads).
    public init(inlineLimit: Int, quarantine: Duration = .seconds(60), executor: ModuleExecutor) {
        self.inlineLimit = inlineLimit
        self.quarantine = quarantine
        self.executor = executor
    }

    /// Whether a call of `arm` may run on the cooperative pool now; when it returns true, the
    /// caller must call ``leave()`` when the call ends.
    func enterInline(_ arm: String) -> Bool {
        guard inlineLimit > 0 else { return false }
        return state.withLock { state in
            if !state.quarantined.isEmpty, let until = state.quarantined[arm] {
                guard until <= .now else { return false }
                state.quarantined[arm] = nil
            }
            guard state.inline < inlineLimit else { return false }
            state.inline += 1
            return true
        }
    }

    /// Ends a call that ``enterInline(_:)`` let in.
    func leave() {
        state.withLock { $0.inline -= 1 }
    }

    /// Sends `arm`'s calls to the module threads for a while (it overran its budget).
    func quarantine(_ arm: String) {
        let until = ContinuousClock.now + quarantine
        state.withLock { $0.quarantined[arm] = until }
    }

    /// Whether `arm` is on the module threads now.
    public func isQuarantined(_ arm: String) -> Bool {
        let now = ContinuousClock.now
        return state.withLock { ($0.quarantined[arm] ?? now) > now }
    }
}
