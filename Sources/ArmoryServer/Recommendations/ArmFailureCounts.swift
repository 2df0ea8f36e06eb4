import ArmoryCore
import Synchronization

/// How often each experiment arm's module failed (threw or overran its budget) in this process,
/// for `/metrics`; the results count the decisions each failure affected from the metrics store.
/// Shared by every request; safe from any task.
public final class ArmFailureCounts: Sendable {
    /// What went wrong.
    public typealias Kind = ModuleFailure

    /// One counter's identity.
    public struct Key: Sendable, Hashable {
        /// The experiment's id.
        public var experiment: String
        /// The arm whose module failed.
        public var arm: String
        /// How it failed.
        public var kind: Kind
    }

    private let counts = Mutex<[Key: Int]>([:])

    /// Creates counters, all at zero.
    public init() {}

    /// Adds one failure.
    public func record(experiment: String, arm: String, kind: Kind) {
        counts.withLock { $0[Key(experiment: experiment, arm: arm, kind: kind), default: 0] += 1 }
    }

    /// The failures of one arm, of one kind.
    public func count(experiment: String, arm: String, kind: Kind) -> Int {
        counts.withLock { $0[Key(experiment: experiment, arm: arm, kind: kind)] ?? 0 }
    }

    /// Every non-zero counter.
    public func snapshot() -> [Key: Int] {
        counts.withLock { $0 }
    }
}
