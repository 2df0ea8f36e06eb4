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
        /// A guardrail dropped an arm.
        case guardrail
        /// A person restored an arm a guardrail had dropped.
        case restore
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
    /// Arms a guardrail dropped: weight 0 in this version and every later one until a person
    /// restores them.
    public var droppedArms: [String]
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
        droppedArms: [String] = [], reason: Reason, actor: String, note: String = "", createdAt: Date
    ) {
        self.droppedArms = droppedArms
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

    private enum CodingKeys: String, CodingKey {
        case experimentID, version, configVersion, arms, inputs, method, seed, probabilityBest, weights, droppedArms, reason, actor, note
        case createdAt
    }

    /// Reads a version stored by any Armory: one stored before guardrails dropped none.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            experimentID: try container.decode(String.self, forKey: .experimentID), version: try container.decode(Int.self, forKey: .version),
            configVersion: try container.decode(Int.self, forKey: .configVersion), arms: try container.decode([String].self, forKey: .arms),
            inputs: try container.decode([ArmObservation].self, forKey: .inputs),
            method: try container.decodeIfPresent(BestArmAnalysis.Method.self, forKey: .method), seed: try container.decode(UInt64.self, forKey: .seed),
            probabilityBest: try container.decode([Double].self, forKey: .probabilityBest), weights: try container.decode([Double].self, forKey: .weights),
            droppedArms: try container.decodeIfPresent([String].self, forKey: .droppedArms) ?? [],
            reason: try container.decode(Reason.self, forKey: .reason), actor: try container.decode(String.self, forKey: .actor),
            note: try container.decode(String.self, forKey: .note), createdAt: try container.decode(Date.self, forKey: .createdAt)
        )
    }

    /// The next version after this one with `arm` at weight 0 and the other arms' weights scaled
    /// up in proportion (all to `fallback` when no other arm has weight).
    public func dropping(_ arm: String, fallback: String, actor: String, note: String, at time: Date) -> WeightVersion {
        var dropped = droppedArms
        if !dropped.contains(arm) { dropped.append(arm) }
        var next = WeightVersion(
            experimentID: experimentID, version: version + 1, configVersion: configVersion, arms: arms,
            weights: Self.normalized(zip(arms, weights).map { dropped.contains($0) ? 0 : $1 }, arms: arms, fallback: fallback),
            droppedArms: dropped, reason: .guardrail, actor: actor, note: note, createdAt: time
        )
        next.seed = seed
        return next
    }

    /// `weights` scaled to sum to 1; all on `fallback` when they sum to 0.
    public static func normalized(_ weights: [Double], arms: [String], fallback: String) -> [Double] {
        let sum = weights.reduce(0, +)
        guard sum > 0 else { return arms.map { $0 == fallback ? 1 : 0 } }
        return weights.map { $0 / sum }
    }

    /// Version 1 of `experiment`: the weights its file declares.
    public static func initial(for experiment: Experiment, configVersion: Int = 1, at time: Date) -> WeightVersion {
        WeightVersion(
            experimentID: experiment.id, version: 1, configVersion: configVersion, arms: experiment.arms.map(\.name),
            weights: experiment.weights, reason: .initial, actor: "config", createdAt: time
        )
    }
}
