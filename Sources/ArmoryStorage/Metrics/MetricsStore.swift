import ArmoryCore
import Foundation

/// Where an ``EventWriter`` puts events: the metrics store itself, or a queue in front of it
/// (``KafkaEventQueue``, which an ingest loop drains into the store).
public protocol EventDestination: Sendable {
    /// Where the events go, for messages; never a password.
    var location: String { get }
    /// Takes a batch of events; once this returns they are durable there. Taking the same
    /// event twice (a retry, a replayed spool) is allowed: the metrics store counts it once.
    func insert(_ events: [Event]) async throws
}

/// Where events are stored and aggregated: ClickHouse in production, SQLite by default.
///
/// Inserting the same event twice (a retry, a replayed spool) is allowed and counts once: the
/// aggregates count decisions, and engagement values once per event id.
///
/// A decision counts as a trial when any of its events is stored: its impression, or an
/// outcome, which carries the decision's signed experiment, arm, versions and time. An
/// impression waits up to a second in memory for its batch; when the process dies in that
/// second, the clicks that arrive afterwards still count the decision, so no acknowledged
/// outcome counts nowhere. The outcomes of a decision that does not count in its experiment
/// arrive with no experiment (``EventValidator``) and so count in none.
public protocol MetricsStore: EventDestination {
    /// Creates the tables when missing.
    func prepare() async throws
    /// Per experiment, arm and weight version, the totals of the decisions made since each
    /// experiment's phase start (with all their outcomes), read in one query: the periods a
    /// sample-ratio check and period-weighted rates need, and summed, the totals.
    func periodAggregates(_ phases: [ExperimentPhase]) async throws -> [ArmAggregate]
    /// Per experiment, the units (users) by the arm and weight version of their first counted
    /// decision since each experiment's phase start, each unit once: what the sample-ratio check
    /// counts. Reads every impression of the phases, so the worker asks once per cycle.
    func firstAssignments(_ phases: [ExperimentPhase]) async throws -> [FirstAssignment]
    /// Per bucket of `bucketSeconds` (aligned to multiples of it in Unix time) and arm, the
    /// totals of the phase's decisions made in it up to `until`, oldest first: the results
    /// page's charts. Whole hours read the hourly totals where a store keeps them.
    func timeSeries(_ phase: ExperimentPhase, bucketSeconds: Int, until: Date) async throws -> [TimeSeriesPoint]
    /// An experiment's decisions since `since` by arm and by the model version that made each
    /// list (read on demand for results, never by the weight updater).
    func modelAggregates(experiment: String, since: Date) async throws -> [ModelAggregate]
}

extension MetricsStore {
    /// Per experiment and arm, the totals of the decisions made since each experiment's phase
    /// start, over every weight version.
    public func aggregates(_ phases: [ExperimentPhase]) async throws -> [ArmAggregate] {
        ArmAggregate.pooled(try await periodAggregates(phases))
    }
}
