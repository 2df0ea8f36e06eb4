import Synchronization

/// How often each experiment arm's module failed (threw or overran its budget), for `/metrics`
/// and the results API. Shared by every request; safe from any task.
public final class ArmFailureCounts: Sendable {
    /// What went wrong.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// The module threw.
        case error
        /// The module did not answer within the experiment's time budget.
        case timeout
    }

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
