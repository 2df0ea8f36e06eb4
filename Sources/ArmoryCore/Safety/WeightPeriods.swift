import Foundation

/// An experiment's phase cut into periods, one per weight version its decisions were made with:
/// what a sample-ratio check must expect once weights move, and what period-weighted rates are
/// made of.
public struct WeightPeriods: Sendable {
    /// One period: the decisions made with one weight version.
    public struct Period: Sendable, Hashable {
        /// The weight version.
        public var weightVersion: Int
        /// Its weights, in the experiment's arm order (0 for an arm the version did not have).
        public var weights: [Double]
        /// Each arm's totals in the period, in arm order.
        public var totals: [ArmAggregate]

        /// Decisions in the period, all arms.
        public var trials: Int { totals.reduce(0) { $0 + $1.trials } }
    }

    /// The experiment.
    public let experiment: Experiment
    /// The periods with decisions, oldest first.
    public let periods: [Period]
    /// Decisions made with a weight version the history does not hold (left out of the check).
    public let unexplainedTrials: Int

    /// Cuts `aggregates` (per arm and weight version) by `versions` (the experiment's weight
    /// versions, any order).
    public init(experiment: Experiment, aggregates: [ArmAggregate], versions: [WeightVersion]) {
        self.experiment = experiment
        let byNumber = Dictionary(versions.map { ($0.version, $0) }, uniquingKeysWith: { first, _ in first })
        let names = experiment.arms.map(\.name)
        var periods: [Period] = []
        var unexplained = 0
        let mine = aggregates.filter { $0.experiment == experiment.id }
        for number in Set(mine.map(\.weightVersion)).sorted() {
            let rows = mine.filter { $0.weightVersion == number }
            guard let version = byNumber[number] else {
                unexplained += rows.reduce(0) { $0 + $1.trials }
                continue
            }
            let weights = names.map { name in version.arms.firstIndex(of: name).map { version.weights[$0] } ?? 0 }
            let sum = weights.reduce(0, +)
            let totals = names.map { name in
                rows.first { $0.arm == name } ?? ArmAggregate(experiment: experiment.id, arm: name, trials: 0, clicked: 0, converted: 0,
                                                              engagementSum: 0, engagementSumOfSquares: 0, weightVersion: number)
            }
            periods.append(Period(weightVersion: number, weights: sum > 0 ? weights.map { $0 / sum } : weights, totals: totals))
        }
        self.periods = periods
        unexplainedTrials = unexplained
    }

    /// Each arm's decisions, in arm order.
    public var observedTrials: [Int] {
        experiment.arms.indices.map { index in periods.reduce(0) { $0 + $1.totals[index].trials } }
    }

    /// Each arm's expected decisions: Σ over periods of (decisions in the period × the arm's weight in it).
    public var expectedTrials: [Double] {
        experiment.arms.indices.map { index in periods.reduce(0) { $0 + Double($1.trials) * $1.weights[index] } }
    }

    /// The sample-ratio check against ``expectedTrials``, or `nil` when there is nothing to test.
    public var sampleRatioMismatch: SampleRatioMismatch? {
        SampleRatioMismatch(observed: observedTrials, expected: expectedTrials)
    }

    /// Whether every arm that expects decisions expects at least `minimum` (the chi-square
    /// approximation needs it).
    public func expectsEnough(_ minimum: Double = 5) -> Bool {
        let expected = expectedTrials.filter { $0 > 0 }
        return expected.count >= 2 && expected.allSatisfy { $0 >= minimum }
    }
}
