import ArmoryKit
import Foundation
import Synchronization

/// A decision: which arm of which experiment served a user, under which versions.
public struct Decision: Sendable, Hashable, Codable {
    /// The experiment.
    public var experiment: String
    /// The arm assigned (whose module's list, or the fallback's, was served).
    public var arm: String
    /// The experiment's config version.
    public var configVersion: Int
    /// The weight version.
    public var weightVersion: Int
    /// The user.
    public var userID: String
    /// When.
    public var time: Date
    /// Random, so two decisions never share an id.
    public var nonce: UInt64
    /// The movies served, in order, so a click can be checked against them; `nil` in an id
    /// made by an Armory that did not carry them (`d1.`).
    public var items: [Int]?
    /// Whether the decision counts in the experiment's results: false for a user outside its
    /// coverage and while it is paused or pinned to one arm, so the outcomes of such a decision
    /// are kept but never counted. True in ids made by an Armory that did not carry it (`d1.`, `d2.`).
    public var isCounted: Bool

    /// Creates a decision.
    public init(
        experiment: String, arm: String, configVersion: Int, weightVersion: Int, userID: String, time: Date, nonce: UInt64, items: [Int]? = [],
        isCounted: Bool = true
    ) {
        self.experiment = experiment
        self.arm = arm
        self.configVersion = configVersion
        self.weightVersion = weightVersion
        self.userID = userID
        self.time = time
        self.nonce = nonce
        self.items = items
        self.isCounted = isCounted
    }
}

extension Decision {
    /// Where ``nextNonce()`` counts from: random for each process, so replicas and restarts
    /// count along unrelated paths.
    private static let nonceCounter = Atomic<UInt64>(UInt64.random(in: .min ... .max))

    /// A nonce no other decision of this process has had: a counter from a random start, each
    /// count put through SplitMix64 (the first output for a seed is a bijection of the seed, so
    /// distinct counts give distinct nonces), so neighbouring decisions do not carry
    /// neighbouring numbers. One atomic add instead of a system call for random bytes on every
    /// recommendation: uniqueness, not secrecy, is what the nonce is for (the id is signed).
    public static func nextNonce() -> UInt64 {
        var generator = SplitMix64(seed: nonceCounter.wrappingAdd(1, ordering: .relaxed).newValue)
        return generator.next()
    }
}
