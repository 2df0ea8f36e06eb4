import ArmoryCore
import ArmoryStorage
import Foundation
import Hummingbird

/// The read-only experiment routes: the list, one experiment, its results (JSON or CSV), its
/// weight history and its audit log.
struct ExperimentRoutes {
    let registry: ExperimentRegistry
    let store: any StateStore
    let metricsStore: any MetricsStore
    let assignments: FirstAssignmentCache

    var collection: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        routes.get("/v1/experiments") { _, _ in
            try APIJSON.response(ExperimentList(experiments: registry.experiments.map(ExperimentSummary.init)))
        }
        routes.get("/v1/experiments/:id") { _, context in
            try APIJSON.response(ExperimentSummary(try live(context)))
        }
        routes.get("/v1/experiments/:id/results") { request, context in
            try await results(request, context)
        }
        routes.get("/v1/experiments/:id/weights") { request, context in
            let live = try live(context)
            let limit = try RouteParameters.limit(request, default: 100)
            let versions = try await store.weightVersions(of: live.id)
            return try APIJSON.response(WeightHistory(experiment: live.id, current: live.weights.version, total: versions.count,
                                                      versions: Array(versions.suffix(limit).reversed())))
        }
        routes.get("/v1/experiments/:id/audit") { request, context in
            let id = try RouteParameters.experimentID(context)
            let entries = try await store.auditEntries(experimentID: id, limit: try RouteParameters.limit(request, default: 100))
            return try APIJSON.response(AuditLog(entries: entries))
        }
        return routes
    }

    private func results(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let live = try live(context)
        let format = request.uri.queryParameters.get("format") ?? "json"
        guard format == "json" || format == "csv" else {
            throw ArmoryError.invalid("format", "format must be json or csv, not '\(format)'")
        }
        var results: ExperimentResults
        do {
            let phase = ExperimentPhase(experiment: live.id, since: live.phaseStart)
            results = ExperimentResults(live: live, aggregates: try await metricsStore.periodAggregates([phase]),
                                        versions: try await store.weightVersions(of: live.id),
                                        assignments: try await assignments.assignments(phase))
            if !live.recommender.models.isEmpty {
                results.split(byModel: try await metricsStore.modelAggregates(experiment: live.id, since: live.phaseStart),
                              objective: live.experiment.objective)
            }
        } catch {
            context.logger.error("cannot read results", metadata: ["experiment": "\(live.id)", "error": "\(error)"])
            throw ArmoryError.unavailable(.metricsUnavailable, "the metrics store did not answer; try again shortly", retryAfter: 5)
        }
        guard format == "csv" else { return try APIJSON.response(results) }
        var response = APIJSON.text(results.csv, contentType: "text/csv; charset=utf-8")
        response.headers[.contentDisposition] = "attachment; filename=\"\(live.id)-results.csv\""
        return response
    }

    /// The experiment named by the path's `id`.
    private func live(_ context: BasicRequestContext) throws -> LiveExperiment {
        let id = try RouteParameters.experimentID(context)
        guard let live = registry.experiment(id) else { throw ArmoryError.unknownExperiment(id) }
        return live
    }
}

/// `GET /v1/experiments`: the experiments served.
public struct ExperimentList: Sendable, Codable {
    public var experiments: [ExperimentSummary]
}

/// `GET /v1/experiments/{id}/weights`: an experiment's weight versions, newest first.
public struct WeightHistory: Sendable, Codable {
    public var experiment: String
    /// The version in force.
    public var current: Int
    /// How many versions there are in all.
    public var total: Int
    public var versions: [WeightVersion]
}

/// `GET /v1/experiments/{id}/audit`: the experiment's audit log, newest first.
public struct AuditLog: Sendable, Codable {
    public var entries: [AuditEntry]
}
