import ArmoryCore
import ArmoryKit
import ArmoryStorage
import Foundation

/// An experiment as the API shows it: its declaration, the versions served and its status.
struct ExperimentSummary: Encodable {
    struct ArmSummary: Encodable {
        var name: String
        var algorithm: String
        var params: [String: PlainParameter]
        /// The weight in force.
        var weight: Double
        /// The weight the file declares.
        var configuredWeight: Double
    }

    struct BanditSummary: Encodable {
        var updateEvery: String
        var minTrialsPerArm: Int
        var minDuration: String
        var minWeight: Double
        var priorAlpha: Double
        var priorBeta: Double
    }

    struct StatusSummary: Encodable {
        var status: String
        var pinnedArm: String?
        var actor: String
        var reason: String
        var at: Date
    }

    var id: String
    var description: String
    var objective: String
    var policy: String
    var status: String
    var pinnedArm: String?
    var unit: String
    var coverage: Double
    var fallback: String
    var timeBudget: String
    var file: String
    var configVersion: Int
    var weightVersion: Int
    var phaseStart: Date
    var arms: [ArmSummary]
    var bandit: BanditSummary?
    var lastStatusChange: StatusSummary?

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
                              weight: weights[index], configuredWeight: arm.weight)
        }
        bandit = experiment.bandit.map {
            BanditSummary(updateEvery: DurationText.format($0.updateEvery), minTrialsPerArm: $0.minTrialsPerArm,
                          minDuration: DurationText.format($0.minDuration), minWeight: $0.minWeight,
                          priorAlpha: $0.prior.alpha, priorBeta: $0.prior.beta)
        }
        lastStatusChange = live.statusChange.map {
            StatusSummary(status: $0.status.rawValue, pinnedArm: $0.pinnedArm, actor: $0.actor, reason: $0.reason, at: $0.createdAt)
        }
    }
}

/// A parameter value as a plain JSON scalar.
struct PlainParameter: Encodable {
    var value: ParameterValue

    init(_ value: ParameterValue) {
        self.value = value
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch value {
        case .integer(let number): try container.encode(number)
        case .number(let number): try container.encode(number)
        case .string(let text): try container.encode(text)
        case .boolean(let flag): try container.encode(flag)
        }
    }
}
