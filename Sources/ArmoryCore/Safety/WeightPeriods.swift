import Foundation

/// An experiment's phase cut into periods, one per weight version its decisions were made with:
/// what period-weighted rates are made of, and (with its units' first assignments) what a
/// sample-ratio check must expect once weights move.
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
    /// The periods with decisions, oldest first; decisions made with a weight version the
    /// history does not hold (an event from another store's history) are in none.
    public let periods: [Period]
    /// Each version's weights, in arm order, normalized.
    let weights: [Int: [Double]]
    /// Units first assigned per weight version (oldest first; each in arm order): what the
    /// sample-ratio check counts. An array, so that sums run in one order and give one answer.
    let assignments: [(version: Int, units: [Int])]

    /// Cuts `aggregates` (per arm and weight version) by `versions` (the experiment's weight
    /// versions, any order); `assignments` are the units' first assignments, for the
    /// sample-ratio check.
    public init(experiment: Experiment, aggregates: [ArmAggregate], versions: [WeightVersion], assignments: [FirstAssignment] = []) {
        self.experiment = experiment
        let names = experiment.arms.map(\.name)
        var weights: [Int: [Double]] = [:]
        for version in versions {
            let mapped = names.map { name in version.arms.firstIndex(of: name).map { version.weights[$0] } ?? 0 }
            let sum = mapped.reduce(0, +)
            weights[version.version] = sum > 0 ? mapped.map { $0 / sum } : mapped
        }
        self.weights = weights
        var units: [Int: [Int]] = [:]
        for row in assignments where row.experiment == experiment.id {
            guard let index = names.firstIndex(of: row.arm) else { continue }
            units[row.weightVersion, default: Array(repeating: 0, count: names.count)][index] += row.units
        }
        self.assignments = units.sorted { $0.key < $1.key }.map { (version: $0.key, units: $0.value) }
        var periods: [Period] = []
        let byVersion = Dictionary(grouping: aggregates.filter { $0.experiment == experiment.id }, by: \.weightVersion)
        for (number, rows) in byVersion.sorted(by: { $0.key < $1.key }) {
            guard let versionWeights = weights[number] else { continue }
            let byArm = Dictionary(rows.map { ($0.arm, $0) }, uniquingKeysWith: { first, _ in first })
            let totals = names.map { name in
                byArm[name] ?? ArmAggregate(experiment: experiment.id, arm: name, trials: 0, clicked: 0, converted: 0,
                                                              engagementSum: 0, engagementSumOfSquares: 0, weightVersion: number)
            }
            periods.append(Period(weightVersion: number, weights: versionWeights, totals: totals))
        }
        self.periods = periods
    }

    /// Each arm's units, counted once at their first assignment, in arm order (versions the
    /// history does not hold left out).
    public var observedUnits: [Int] {
        experiment.arms.indices.map { index in assignments.reduce(0) { weights[$1.version] == nil ? $0 : $0 + $1.units[index] } }
    }

    /// Each arm's expected units: Σ over weight versions of (units first assigned with it × the
    /// arm's weight in it).
    public var expectedUnits: [Double] {
        experiment.arms.indices.map { index in
            assignments.reduce(0) { sum, entry in
                guard let versionWeights = weights[entry.version] else { return sum }
                return sum + Double(entry.units.reduce(0, +)) * versionWeights[index]
            }
        }
    }

    /// The weight versions units were first assigned with.
    public var assignmentPeriods: Int { assignments.filter { weights[$0.version] != nil }.count }

    /// The sample-ratio check of ``observedUnits`` against ``expectedUnits``, or `nil` when there
    /// is nothing to test.
    public var sampleRatioMismatch: SampleRatioMismatch? {
        SampleRatioMismatch(observed: observedUnits, expected: expectedUnits)
    }

    /// Whether every arm that expects units expects at least `minimum` (the chi-square
    /// approximation needs it).
    public func expectsEnough(_ minimum: Double = 5) -> Bool {
        let expected = expectedUnits.filter { $0 > 0 }
        return expected.count >= 2 && expected.allSatisfy { $0 >= minimum }
    }
}
