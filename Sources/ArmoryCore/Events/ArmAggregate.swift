import Foundation

/// One arm's totals: decisions, and decisions with outcomes.
public struct ArmAggregate: Sendable, Hashable, Codable {
    /// The experiment.
    public var experiment: String
    /// The arm.
    public var arm: String
    /// Decisions (with an impression or an outcome stored).
    public var trials: Int
    /// Decisions with at least one click.
    public var clicked: Int
    /// Decisions with at least one conversion.
    public var converted: Int
    /// The sum over decisions of each decision's engagement (its distinct engagement events' values).
    public var engagementSum: Double
    /// The sum over decisions of the square of each decision's engagement.
    public var engagementSumOfSquares: Double
    /// Decisions answered by the fallback arm because the arm's module overran its budget.
    public var timeouts: Int
    /// Decisions answered by the fallback arm because the arm's module threw.
    public var errors: Int

    /// Creates totals.
    public init(
        experiment: String, arm: String, trials: Int, clicked: Int, converted: Int, engagementSum: Double, engagementSumOfSquares: Double,
        timeouts: Int = 0, errors: Int = 0
    ) {
        self.experiment = experiment
        self.arm = arm
        self.trials = trials
        self.clicked = clicked
        self.converted = converted
        self.engagementSum = engagementSum
        self.engagementSumOfSquares = engagementSumOfSquares
        self.timeouts = timeouts
        self.errors = errors
    }
}

extension Experiment {
    /// Each arm's observation from the metrics store's `aggregates` (an arm with none has
    /// observed nothing): the one mapping the weight updater and the results share.
    public func observations(from aggregates: [ArmAggregate]) -> [ArmObservation] {
        arms.map { arm in
            let totals = aggregates.first { $0.experiment == id && $0.arm == arm.name }
            return ArmObservation(
                arm: arm.name, trials: totals?.trials ?? 0,
                successes: objective == .conversion ? totals?.converted ?? 0 : totals?.clicked ?? 0,
                valueSum: totals?.engagementSum ?? 0, valueSumOfSquares: totals?.engagementSumOfSquares ?? 0,
                timeouts: totals?.timeouts ?? 0, errors: totals?.errors ?? 0
            )
        }
    }
}
