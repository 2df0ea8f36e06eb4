import ArmoryCore
import ArmoryKit
import ArmoryStorage
import Foundation
import Hummingbird

/// The routes for operators and tools, served by every role: health, readiness, Prometheus
/// metrics, the OpenAPI document and the algorithms loaded.
struct OperationRoutes {
    let registry: ExperimentRegistry
    let modules: AlgorithmModules
    let store: any StateStore
    let writer: EventWriter?
    let coWatch: CoWatchLists?
    let failures: ArmFailureCounts
    let metrics: ServerMetrics

    var collection: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        routes.get("/health") { _, _ in
            try APIJSON.response(["status": "ok"])
        }
        routes.get("/ready") { _, context in
            // Ready when the experiments are loaded and the state store answers. The metrics
            // store may be down: events are spooled meanwhile.
            do {
                _ = try await store.historyHeads()
            } catch {
                context.logger.warning("not ready: the state store does not answer", metadata: ["error": "\(error)"])
                throw ArmoryError.unavailable(.notReady, "the state store does not answer", retryAfter: 5)
            }
            return try APIJSON.response(ReadyStatus(status: "ready", experiments: registry.experiments.count,
                                                    algorithms: modules.registry.descriptors.count))
        }
        routes.get("/metrics") { _, _ in
            APIJSON.text(metrics.render(writer: writer?.statistics, coWatch: coWatch?.status, failures: failures),
                         contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        routes.get("/openapi.yaml") { _, _ in
            APIJSON.text(OpenAPIDocument.yaml, contentType: "application/yaml; charset=utf-8")
        }
        routes.get("/v1/algorithms") { _, _ in
            let report = modules.report
            return try APIJSON.response(AlgorithmList(
                algorithms: modules.registry.all.map { AlgorithmList.Algorithm(descriptor: $0.descriptor, file: $0.file) },
                refused: report.refused, directories: report.directories
            ))
        }
        return routes
    }
}

/// `GET /ready`: ready, with how many experiments and algorithms are loaded.
public struct ReadyStatus: Sendable, Codable {
    public var status: String
    public var experiments: Int
    public var algorithms: Int
}

/// `GET /v1/algorithms`: the algorithms the loaded modules registered, and the files refused.
public struct AlgorithmList: Sendable, Codable {
    /// One algorithm and the module file it came from.
    public struct Algorithm: Sendable, Codable {
        /// One of its parameters.
        public struct Parameter: Sendable, Codable {
            public var name: String
            public var type: String
            public var defaultValue: PlainParameter?
            public var minimum: Double?
            public var maximum: Double?
            public var summary: String
        }

        public var name: String
        public var version: String
        public var summary: String
        public var parameters: [Parameter]
        public var file: String

        init(descriptor: AlgorithmDescriptor, file: String) {
            name = descriptor.name
            version = descriptor.version
            summary = descriptor.summary
            parameters = descriptor.parameters.map {
                Parameter(name: $0.name, type: $0.type.rawValue, defaultValue: $0.defaultValue.map(PlainParameter.init),
                          minimum: $0.minimum, maximum: $0.maximum, summary: $0.summary)
            }
            self.file = file
        }
    }

    public var algorithms: [Algorithm]
    public var refused: [ModuleLoadReport.Refused]
    public var directories: [String]
}
