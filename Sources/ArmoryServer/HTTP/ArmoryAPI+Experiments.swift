import ArmoryCore
import ArmoryStorage
import Foundation
import Hummingbird

extension ArmoryAPI {
    func addExperimentRoutes(to table: inout RouteTable) {
        table.add(.get, "/v1/experiments") { _, _ in
            try APIJSON.response(["experiments": catalog.experiments.map(ExperimentSummary.init)])
        }

        table.add(.get, "/v1/experiments/:id") { _, context in
            try APIJSON.response(ExperimentSummary(try live(context)))
        }

        table.add(.get, "/v1/experiments/:id/results") { request, context in
            let live = try live(context)
            let format = request.uri.queryParameters.get("format") ?? "json"
            guard format == "json" || format == "csv" else {
                throw APIError.invalid("format", "format must be json or csv, not '\(format)'")
            }
            let aggregates: [ArmAggregate]
            do {
                aggregates = try await metricsStore.aggregates([ExperimentPhase(experiment: live.id, since: live.phaseStart)])
            } catch {
                context.logger.error("cannot read results", metadata: ["experiment": "\(live.id)", "error": "\(error)"])
                throw APIError.unavailable("metrics_unavailable", "the metrics store did not answer; try again shortly", retryAfter: 5)
            }
            let results = ExperimentResults(live: live, aggregates: aggregates)
            if format == "csv" {
                var response = APIJSON.text(results.csv, contentType: "text/csv; charset=utf-8")
                response.headers[.contentDisposition] = "attachment; filename=\"\(live.id)-results.csv\""
                return response
            }
            return try APIJSON.response(results)
        }

        table.add(.get, "/v1/experiments/:id/weights") { request, context in
            let live = try live(context)
            let limit = try Self.limit(request, default: 100)
            let versions = try await store.weightVersions(of: live.id)
            return try APIJSON.response(WeightHistory(experiment: live.id, current: live.weights.version, total: versions.count,
                                                      versions: Array(versions.suffix(limit).reversed())))
        }

        table.add(.get, "/v1/experiments/:id/audit") { request, context in
            let id = try Self.experimentID(context)
            let entries = try await store.auditEntries(experimentID: id, limit: try Self.limit(request, default: 100))
            return try APIJSON.response(["entries": entries])
        }
    }

    /// The experiment named by the path's `id`, or 404.
    func live(_ context: BasicRequestContext) throws -> LiveExperiment {
        let id = try Self.experimentID(context)
        guard let live = catalog.experiment(id) else { throw APIError.unknownExperiment(id) }
        return live
    }

    static func experimentID(_ context: BasicRequestContext) throws -> String {
        guard let id = context.parameters.get("id"), Experiment.isValidID(id) else {
            throw APIError.invalid("id", "an experiment id is 1 to 64 lower-case letters, digits and '-'")
        }
        return id
    }

    /// `?limit=` from 1 to 1000.
    static func limit(_ request: Request, default defaultLimit: Int) throws -> Int {
        guard let text = request.uri.queryParameters.get("limit") else { return defaultLimit }
        guard let limit = Int(text), (1...1_000).contains(limit) else {
            throw APIError.invalid("limit", "limit must be a whole number from 1 to 1000, not '\(text)'")
        }
        return limit
    }
}

/// An experiment's weight versions, newest first.
struct WeightHistory: Encodable {
    var experiment: String
    /// The version in force.
    var current: Int
    /// How many versions there are in all.
    var total: Int
    var versions: [WeightVersion]
}
