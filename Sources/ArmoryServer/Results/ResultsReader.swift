import ArmoryCore
import ArmoryStorage
import Foundation
import Logging

/// Reads what an experiment's results say: the one owner of that read, behind the results
/// route, the timeline route and the results page, so all three compute the same numbers the
/// same way. Read-only: nothing here changes an experiment.
public struct ResultsReader: Sendable {
    /// Everything the results page shows about one experiment, read together.
    public struct Report: Sendable {
        public var live: LiveExperiment
        public var results: ExperimentResults
        public var timeline: ExperimentTimeline
        /// The phase's weight versions, newest first.
        public var versions: [WeightVersion]
        /// Newest first.
        public var audit: [AuditEntry]
    }

    /// Audit entries read for a timeline's markers and the page's table.
    public static let auditLimit = 1_000

    let store: any StateStore
    let metricsStore: any MetricsStore
    let assignments: FirstAssignmentCache
    let versions: PhaseWeightVersions
    let reports: ReportCache<Report>

    /// A reader over the stores; results pages are read again once older than `pageFreshness`.
    init(store: any StateStore, metricsStore: any MetricsStore, assignments: FirstAssignmentCache, pageFreshness: Duration) {
        self.store = store
        self.metricsStore = metricsStore
        self.assignments = assignments
        versions = PhaseWeightVersions(store: store)
        reports = ReportCache(freshness: pageFreshness)
    }

    /// `live`'s results in its current phase, read now.
    public func results(_ live: LiveExperiment, logger: Logger) async throws -> ExperimentResults {
        let versions = try await versions.versions(of: live)
        return try await metrics(live, logger) { try await results(live, versions: versions) }
    }

    /// `live`'s timeline up to `until` (now when `nil` or later): the moment a results page
    /// showed, whose chart numbers this answers again (decisions made after it do not count).
    public func timeline(_ live: LiveExperiment, until: Date? = nil, logger: Logger) async throws -> ExperimentTimeline {
        let moment = min(until ?? Date(), Date())
        guard moment >= live.phaseStart else {
            throw ArmoryError.invalid("until", "until is before the phase began (\(live.phaseStart.formatted(.iso8601)))")
        }
        let history = try await history(live)
        return try await metrics(live, logger) { try await timeline(live, history: history, until: moment) }
    }

    /// Results, timeline and history of `live` for the results page: read now, or the read of
    /// the same state of the experiment (config, weights, status) made within the freshness.
    public func report(_ live: LiveExperiment, logger: Logger) async throws -> Report {
        try await reports.report(for: live.id, state: ReportCache<Report>.state(of: live)) { try await read(live, logger: logger) }
    }

    private func read(_ live: LiveExperiment, logger: Logger) async throws -> Report {
        // To the millisecond, as the page's links to the same timeline write it.
        let now = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 * 1_000).rounded(.down) / 1_000)
        let history = try await history(live)
        return try await metrics(live, logger) {
            async let results = results(live, versions: history.versions)
            async let timeline = timeline(live, history: history, until: now)
            return Report(live: live, results: try await results, timeline: try await timeline, versions: history.versions.reversed(),
                          audit: history.audit)
        }
    }

    /// What the state store says about `live`'s phase.
    struct History: Sendable {
        var versions: [WeightVersion]
        var configs: [ConfigVersion]
        var audit: [AuditEntry]
        var statusChanges: [StatusChange]
    }

    private func history(_ live: LiveExperiment) async throws -> History {
        async let versions = versions.versions(of: live)
        async let configs = store.configVersions(of: live.id)
        async let audit = store.auditEntries(experimentID: live.id, limit: Self.auditLimit)
        async let changes = store.statusChanges(of: live.id)
        return History(versions: try await versions, configs: try await configs, audit: try await audit, statusChanges: try await changes)
    }

    private func results(_ live: LiveExperiment, versions: [WeightVersion]) async throws -> ExperimentResults {
        let phase = ExperimentPhase(experiment: live.id, since: live.phaseStart)
        async let aggregates = metricsStore.periodAggregates([phase])
        async let assigned = assignments.assignments(phase)
        var results = ExperimentResults(live: live, aggregates: try await aggregates, versions: versions, assignments: try await assigned)
        if !live.recommender.models.isEmpty {
            results.split(byModel: try await metricsStore.modelAggregates(experiment: live.id, since: live.phaseStart),
                          objective: live.experiment.objective)
        }
        return results
    }

    private func timeline(_ live: LiveExperiment, history: History, until: Date) async throws -> ExperimentTimeline {
        let width = ExperimentTimeline.bucketWidth(since: live.phaseStart, until: until)
        let series = try await metricsStore.timeSeries(ExperimentPhase(experiment: live.id, since: live.phaseStart), bucketSeconds: width,
                                                       until: until)
        return ExperimentTimeline(live: live, series: series, bucketSeconds: width, versions: history.versions, configs: history.configs,
                                  audit: history.audit, statusChanges: history.statusChanges, until: until)
    }

    /// `read`, with a metrics store that does not answer reported as unavailable: on a cluster
    /// with a shard away too, since results are never totalled from part of the data.
    private func metrics<T>(_ live: LiveExperiment, _ logger: Logger, _ read: () async throws -> T) async throws -> T {
        do {
            return try await read()
        } catch {
            logger.error("cannot read results", metadata: ["experiment": "\(live.id)", "error": "\(error)"])
            throw ArmoryError.unavailable(.metricsUnavailable, "the metrics store did not answer for all of the data; results are never shown from part of it: try again shortly", retryAfter: 5)
        }
    }
}
