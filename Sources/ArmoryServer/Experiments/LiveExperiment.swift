import ArmoryCore
import ArmoryStorage
import Foundation

/// One experiment as the server serves it right now: its config version, its arms ready to
/// answer, the weights in force and its status. Immutable: a change makes a new one, published
/// by the ``ExperimentRegistry``, so a request reads one consistent state without locks. A class,
/// so that a request's lookup takes one reference rather than copying every field.
public final class LiveExperiment: Sendable {
    /// How units are being served.
    public enum Serving: Sendable, Hashable {
        /// By the weights: each unit gets its arm.
        case weighted
        /// Paused: every unit gets the fallback arm.
        case paused
        /// Rolled back to one arm: every unit gets it, and updates are frozen.
        case pinned(arm: String)
    }

    /// Where one unit goes.
    public struct Placement: Sendable, Hashable {
        /// The arm that serves the unit.
        public var arm: String
        /// Whether the unit counts in the experiment (an impression is recorded); false outside
        /// coverage, while paused and while pinned.
        public var isCounted: Bool
    }

    /// The experiment as its config version declares it.
    public let experiment: Experiment
    /// The config version being served.
    public let config: ConfigVersion
    /// The arms' modules.
    public let recommender: ArmRecommender
    /// The weights in force.
    public let weights: WeightVersion
    /// When the current phase began (the newest initial weight version): decisions before it
    /// do not count towards the weights or the results.
    public let phaseStart: Date
    /// How units are served.
    public let serving: Serving
    /// The newest status change, when any.
    public let statusChange: StatusChange?
    /// Since when the file has declared its current `status` (a status change made after this
    /// overrides the file; a file that changes its status after a status change overrides it).
    public let fileStatusSince: Date
    private let assigner: Assigner

    /// Creates the serving state; weights whose arms are not the experiment's fall back to the
    /// configured ones.
    public init(
        experiment: Experiment, config: ConfigVersion, recommender: ArmRecommender, weights: WeightVersion, phaseStart: Date,
        serving: Serving, statusChange: StatusChange?, fileStatusSince: Date
    ) {
        self.experiment = experiment
        self.config = config
        self.recommender = recommender
        self.weights = weights
        self.phaseStart = phaseStart
        self.serving = serving
        self.statusChange = statusChange
        self.fileStatusSince = fileStatusSince
        let usable = weights.arms == experiment.arms.map(\.name) ? weights.weights : experiment.weights
        self.assigner = Assigner(seed: experiment.seed, weights: usable, coverage: experiment.coverage)
    }

    /// The experiment's id.
    public var id: String { experiment.id }

    /// The weights assignment uses, in arm order.
    public var effectiveWeights: [Double] {
        weights.arms == experiment.arms.map(\.name) ? weights.weights : experiment.weights
    }

    /// Whether the worker's cycles check it (and, for a Thompson experiment, move its traffic):
    /// it is running by its weights, not paused or pinned to an arm.
    public var isWatched: Bool { serving == .weighted }

    /// The status as the API shows it: `running`, `paused` or `pinned`.
    public var statusName: String {
        switch serving {
        case .weighted: "running"
        case .paused: "paused"
        case .pinned: "pinned"
        }
    }

    /// Where `unit` goes.
    public func place(_ unit: String) -> Placement {
        switch serving {
        case .paused:
            return Placement(arm: experiment.fallback, isCounted: false)
        case .pinned(let arm):
            return Placement(arm: arm, isCounted: false)
        case .weighted:
            switch assigner.assign(unit) {
            case .arm(let index): return Placement(arm: experiment.arms[index].name, isCounted: true)
            case .fallback: return Placement(arm: experiment.fallback, isCounted: false)
            }
        }
    }

    /// A copy with other weights.
    public func with(weights: WeightVersion) -> LiveExperiment {
        LiveExperiment(experiment: experiment, config: config, recommender: recommender, weights: weights,
                       phaseStart: weights.reason == .initial ? weights.createdAt : phaseStart, serving: serving, statusChange: statusChange,
                       fileStatusSince: fileStatusSince)
    }

    /// A copy whose arms are `recommender`'s (the same experiment with other model versions).
    public func with(recommender: ArmRecommender) -> LiveExperiment {
        LiveExperiment(experiment: experiment, config: config, recommender: recommender, weights: weights, phaseStart: phaseStart,
                       serving: serving, statusChange: statusChange, fileStatusSince: fileStatusSince)
    }

    /// A copy with `change` as the newest status change.
    public func with(statusChange change: StatusChange) -> LiveExperiment {
        LiveExperiment(experiment: experiment, config: config, recommender: recommender, weights: weights, phaseStart: phaseStart,
                       serving: Self.serving(experiment, fileStatusSince: fileStatusSince, statusChange: change), statusChange: change,
                       fileStatusSince: fileStatusSince)
    }

    /// How an experiment is served: the newest of its file's `status` and its newest status
    /// change wins. A pin to an arm the experiment no longer has pins the fallback arm.
    public static func serving(_ experiment: Experiment, fileStatusSince: Date, statusChange: StatusChange?) -> Serving {
        if let change = statusChange, change.createdAt >= fileStatusSince {
            if change.status == .paused { return .paused }
            guard let arm = change.pinnedArm else { return .weighted }
            return .pinned(arm: experiment.arms.contains { $0.name == arm } ? arm : experiment.fallback)
        }
        return experiment.status == .paused ? .paused : .weighted
    }
}
