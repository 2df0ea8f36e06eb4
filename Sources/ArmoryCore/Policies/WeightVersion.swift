import Foundation

/// One immutable set of weights for an experiment, with everything needed to explain and
/// reproduce it: the inputs per arm, the method and seed, P(best), the weights and why they changed.
/// Rollback appends a new version; no version is ever edited or removed.
public struct WeightVersion: Sendable, Hashable, Codable {
    /// Why a version exists.
    public enum Reason: String, Sendable, Hashable, Codable, CaseIterable {
        /// The weights in the experiment's configuration, when it starts or its arms change.
        case initial
        /// A scheduled policy update.
        case scheduled
        /// A person set the weights.
        case manual
        /// A person restored earlier weights or sent all traffic to one arm.
        case rollback
    }

    /// The experiment.
    public var experimentID: String
    /// 1, 2, 3, … per experiment, without gaps.
    public var version: Int
    /// The configuration version the weights were computed for.
    public var configVersion: Int
    /// Arm names, in the experiment's order; the other arrays follow it.
    public var arms: [String]
    /// What each arm had observed (empty for `initial`).
    public var inputs: [ArmObservation]
    /// How P(best) was computed; `nil` when none was (initial, manual, rollback).
    public var method: BestArmAnalysis.Method?
    /// The seed for any random draw of the update (Monte Carlo), recorded even when unused.
    public var seed: UInt64
    /// P(best) per arm; empty when none was computed.
    public var probabilityBest: [Double]
    /// The weights, summing to 1.
    public var weights: [Double]
    /// Why the version exists.
    public var reason: Reason
    /// Who made it: `worker`, or a person's name for manual changes.
    public var actor: String
    /// A person's note (required for manual changes and rollbacks).
    public var note: String
    /// When it was made.
    public var createdAt: Date

    /// Creates a version.
    public init(
        experimentID: String, version: Int, configVersion: Int, arms: [String], inputs: [ArmObservation] = [],
        method: BestArmAnalysis.Method? = nil, seed: UInt64 = 0, probabilityBest: [Double] = [], weights: [Double],
        reason: Reason, actor: String, note: String = "", createdAt: Date
    ) {
        self.experimentID = experimentID
        self.version = version
        self.configVersion = configVersion
        self.arms = arms
        self.inputs = inputs
        self.method = method
        self.seed = seed
        self.probabilityBest = probabilityBest
        self.weights = weights
        self.reason = reason
        self.actor = actor
        self.note = note
        self.createdAt = createdAt
    }

    /// Version 1 of `experiment`: the weights its file declares.
    public static func initial(for experiment: Experiment, configVersion: Int = 1, at time: Date) -> WeightVersion {
        WeightVersion(
            experimentID: experiment.id, version: 1, configVersion: configVersion, arms: experiment.arms.map(\.name),
            weights: experiment.weights, reason: .initial, actor: "config", createdAt: time
        )
    }
}
