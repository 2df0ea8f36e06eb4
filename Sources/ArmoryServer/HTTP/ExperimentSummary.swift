import ArmoryCore
import ArmoryKit
import ArmoryStorage
import Foundation

/// An experiment as the API shows it: its declaration, the versions served and its status.
/// The CLI decodes the server's answers into this same type.
public struct ExperimentSummary: Sendable, Codable {
    /// One arm.
    public struct ArmSummary: Sendable, Codable {
        public var name: String
        public var algorithm: String
        public var params: [String: PlainParameter]
        /// The weight in force.
        public var weight: Double
        /// The weight the file declares.
        public var configuredWeight: Double
        /// Whether a guardrail dropped it (weight 0 until a person restores it).
        public var isDropped: Bool
    }

    /// The Thompson sampling settings.
    public struct BanditSummary: Sendable, Codable {
        public var updateEvery: String
        public var minTrialsPerArm: Int
        public var minDuration: String
        public var minWeight: Double
        public var priorAlpha: Double
        public var priorBeta: Double
    }

    /// The last pause, resume or rollback to an arm.
    public struct StatusSummary: Sendable, Codable {
        public var status: String
        public var pinnedArm: String?
        public var actor: String
        public var reason: String
        public var at: Date
    }

    public var id: String
    public var description: String
    public var objective: String
    public var policy: String
    public var status: String
    public var pinnedArm: String?
    public var unit: String
    public var coverage: Double
    public var fallback: String
    public var timeBudget: String
    public var file: String
    public var configVersion: Int
    public var weightVersion: Int
    public var phaseStart: Date
    public var arms: [ArmSummary]
    public var bandit: BanditSummary?
    /// The guardrails, as `metric (direction, tolerance, action)`, in file order.
    public var guardrails: [String]
    public var lastStatusChange: StatusSummary?

    init(_ live: LiveExperiment) {
        let experiment = live.experiment
        let weights = live.effectiveWeights
        id = experiment.id
        description = experiment.description
        objective = experiment.objective.rawValue
        policy = experiment.policy.rawValue
        status = live.statusName
        if case .pinned(let arm) = live.serving { pinnedArm = arm }
        unit = experiment.unit
        coverage = experiment.coverage
        fallback = experiment.fallback
        timeBudget = DurationText.format(experiment.timeBudget)
        file = live.config.sourceFile
        configVersion = live.config.version
        weightVersion = live.weights.version
        phaseStart = live.phaseStart
        arms = experiment.arms.indices.map { index in
            let arm = experiment.arms[index]
            return ArmSummary(name: arm.name, algorithm: arm.algorithm, params: arm.parameters.mapValues(PlainParameter.init),
                              weight: weights[index], configuredWeight: arm.weight, isDropped: live.weights.droppedArms.contains(arm.name))
        }
        bandit = experiment.bandit.map {
            BanditSummary(updateEvery: DurationText.format($0.updateEvery), minTrialsPerArm: $0.minTrialsPerArm,
                          minDuration: DurationText.format($0.minDuration), minWeight: $0.minWeight,
                          priorAlpha: $0.prior.alpha, priorBeta: $0.prior.beta)
        }
        guardrails = experiment.guardrails.map(\.summary)
        lastStatusChange = live.statusChange.map {
            StatusSummary(status: $0.status.rawValue, pinnedArm: $0.pinnedArm, actor: $0.actor, reason: $0.reason, at: $0.createdAt)
        }
    }
}

/// A parameter value as a plain JSON scalar.
public struct PlainParameter: Sendable, Codable {
    /// The value.
    public var value: ParameterValue

    init(_ value: ParameterValue) {
        self.value = value
    }

    /// Reads a JSON scalar: a whole number as an integer, any other number as a number.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let flag = try? container.decode(Bool.self) {
            value = .boolean(flag)
        } else if let number = try? container.decode(Int.self) {
            value = .integer(number)
        } else if let number = try? container.decode(Double.self) {
            value = .number(number)
        } else {
            value = .string(try container.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch value {
        case .integer(let number): try container.encode(number)
        case .number(let number): try container.encode(number)
        case .string(let text): try container.encode(text)
        case .boolean(let flag): try container.encode(flag)
        }
    }
}
