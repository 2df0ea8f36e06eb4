import Foundation

/// One arm's totals: decisions, and decisions with outcomes; of the decisions made with one
/// weight version, or (with ``weightVersion`` 0) with any.
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
    /// The weight version the decisions were made with; 0 for totals over every version.
    public var weightVersion: Int

    /// Creates totals.
    public init(
        experiment: String, arm: String, trials: Int, clicked: Int, converted: Int, engagementSum: Double, engagementSumOfSquares: Double,
        timeouts: Int = 0, errors: Int = 0, weightVersion: Int = 0
    ) {
        self.weightVersion = weightVersion
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

extension ArmAggregate {
    /// `aggregates` summed over weight versions: one row per experiment and arm, in the order
    /// each first appears.
    public static func pooled(_ aggregates: [ArmAggregate]) -> [ArmAggregate] {
        var order: [String: Int] = [:]
        var pooled: [ArmAggregate] = []
        for row in aggregates {
            let key = "\(row.experiment)\u{0}\(row.arm)"
            guard let index = order[key] else {
                order[key] = pooled.count
                var first = row
                first.weightVersion = 0
                pooled.append(first)
                continue
            }
            pooled[index].add(row)
        }
        return pooled
    }

    /// Adds `other`'s totals to these.
    public mutating func add(_ other: ArmAggregate) {
        trials += other.trials
        clicked += other.clicked
        converted += other.converted
        engagementSum += other.engagementSum
        engagementSumOfSquares += other.engagementSumOfSquares
        timeouts += other.timeouts
        errors += other.errors
    }
}

extension Experiment {
    /// Each arm's observation from the metrics store's `aggregates`, summed over weight versions
    /// (an arm with none has observed nothing): the one mapping the weight updater and the
    /// results share.
    public func observations(from aggregates: [ArmAggregate]) -> [ArmObservation] {
        let pooled = ArmAggregate.pooled(aggregates.filter { $0.experiment == id })
        return arms.map { arm in
            let totals = pooled.first { $0.arm == arm.name }
            return ArmObservation(
                arm: arm.name, trials: totals?.trials ?? 0,
                successes: objective == .conversion ? totals?.converted ?? 0 : totals?.clicked ?? 0,
                valueSum: totals?.engagementSum ?? 0, valueSumOfSquares: totals?.engagementSumOfSquares ?? 0,
                timeouts: totals?.timeouts ?? 0, errors: totals?.errors ?? 0
            )
        }
    }
}
