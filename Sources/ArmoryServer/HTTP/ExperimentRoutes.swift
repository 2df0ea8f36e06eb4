import ArmoryCore
import ArmoryStorage
import Foundation
import Hummingbird

/// The read-only experiment routes: the list, one experiment, its results and timeline (JSON or
/// CSV), its weight history and its audit log.
struct ExperimentRoutes {
    let registry: ExperimentRegistry
    let store: any StateStore
    let reader: ResultsReader

    var collection: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        routes.get("/v1/experiments") { _, _ in
            try APIJSON.response(ExperimentList(experiments: registry.experiments.map(ExperimentSummary.init)))
        }
        routes.get("/v1/experiments/:id") { _, context in
            try APIJSON.response(ExperimentSummary(try live(context)))
        }
        routes.get("/v1/experiments/:id/results") { request, context in
            let format = try Self.format(request)
            let results = try await reader.results(try live(context), logger: context.logger)
            return try Self.answer(results, csv: results.csv, name: "\(results.experiment)-results", format: format)
        }
        routes.get("/v1/experiments/:id/timeline") { request, context in
            let format = try Self.format(request)
            let timeline = try await reader.timeline(try live(context), until: try RouteParameters.until(request), logger: context.logger)
            return try Self.answer(timeline, csv: timeline.csv, name: "\(timeline.experiment)-timeline", format: format)
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

    /// The `format` query parameter: `json` (the default) or `csv`.
    private static func format(_ request: Request) throws -> String {
        let format = request.uri.queryParameters.get("format") ?? "json"
        guard format == "json" || format == "csv" else {
            throw ArmoryError.invalid("format", "format must be json or csv, not '\(format)'")
        }
        return format
    }

    /// `value` as JSON, or `csv` as a download named `name`.csv.
    private static func answer(_ value: some Encodable, csv: @autoclosure () -> String, name: String, format: String) throws -> Response {
        guard format == "csv" else { return try APIJSON.response(value) }
        var response = APIJSON.text(csv(), contentType: "text/csv; charset=utf-8")
        response.headers[.contentDisposition] = "attachment; filename=\"\(name).csv\""
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
