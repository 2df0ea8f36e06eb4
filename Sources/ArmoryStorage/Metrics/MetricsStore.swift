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
/// outcome counts nowhere. The outcomes of a decision that does not count in its experiment
/// arrive with no experiment (``EventValidator``) and so count in none.
public protocol MetricsStore: Sendable {
    /// Where the store is, for messages; never a password.
    var location: String { get }
    /// Creates the tables when missing.
    func prepare() async throws
    /// Stores a batch of events.
    func insert(_ events: [Event]) async throws
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
