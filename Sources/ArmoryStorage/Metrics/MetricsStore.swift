import ArmoryCore
import Foundation

/// Where events are stored and aggregated: ClickHouse in production, SQLite by default.
///
/// Inserting the same event twice (a retry, a replayed spool) is allowed and counts once: the
/// aggregates count decisions, and engagement values once per event id.
///
/// A decision counts as a trial when any of its events is stored: its impression, or an
/// outcome, which carries the decision's signed experiment, arm, versions and time. An
/// impression waits up to a second in memory for its batch; when the process dies in that
/// second, the clicks that arrive afterwards still count the decision, so no acknowledged
/// outcome counts nowhere.
public protocol MetricsStore: Sendable {
    /// Where the store is, for messages; never a password.
    var location: String { get }
    /// Creates the tables when missing.
    func prepare() async throws
    /// Stores a batch of events.
    func insert(_ events: [Event]) async throws
    /// Per experiment and arm, the totals of the decisions made since each experiment's phase
    /// start (with all their outcomes), read in one query.
    func aggregates(_ phases: [ExperimentPhase]) async throws -> [ArmAggregate]
    /// One arm-by-bucket time series for an experiment's charts, since `since`.
    func timeSeries(experiment: String, since: Date, bucket: TimeBucket) async throws -> [TimeSeriesPoint]
}

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

/// The width of a time-series bucket.
public enum TimeBucket: String, Sendable, Hashable, Codable {
    case hour
    case day

    /// Seconds per bucket.
    public var seconds: Int { self == .hour ? 3_600 : 86_400 }
}

/// One arm in one bucket.
public struct TimeSeriesPoint: Sendable, Hashable, Codable {
    /// The bucket's start.
    public var start: Date
    /// The arm.
    public var arm: String
    /// Decisions in the bucket.
    public var trials: Int
    /// Of those, decisions with a click.
    public var clicked: Int
    /// Of those, decisions with a conversion.
    public var converted: Int

    /// Creates a point.
    public init(start: Date, arm: String, trials: Int, clicked: Int, converted: Int) {
        self.start = start
        self.arm = arm
        self.trials = trials
        self.clicked = clicked
        self.converted = converted
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
