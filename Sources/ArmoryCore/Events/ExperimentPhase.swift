import Foundation

/// An experiment and when its current phase began: decisions made before it do not count.
public struct ExperimentPhase: Sendable, Hashable {
    /// The experiment.
    public var experiment: String
    /// The phase start.
    public var since: Date

    /// Creates a phase.
    public init(experiment: String, since: Date) {
        self.experiment = experiment
        self.since = since
    }
}
