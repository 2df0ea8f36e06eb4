import ArmoryCore
import ArmoryStorage
import Hummingbird
import NIOConcurrencyHelpers

/// The HTTP API: every route of `openapi.yaml`, one route collection per area (operations,
/// serving, experiments, admin) on one router, behind the metrics and error middleware. The
/// routes call the use cases (``RecommendationService``, ``EventIngest``,
/// ``ExperimentControl``) and turn their answers into JSON; statuses are chosen in one place,
/// ``APIErrorMiddleware``.
public struct ArmoryAPI: Sendable {
    let registry: ExperimentRegistry
    /// The algorithm modules (more load on reload).
    let modules: AlgorithmModules
    /// Trained models.
    let models: ModelRegistry
    let store: any StateStore
    let metricsStore: any MetricsStore
    /// The serving use cases; `nil` in a worker, which serves only the operations routes.
    let recommendations: RecommendationService?
    let ingest: EventIngest?
    /// For `/metrics`: the event writer's and the co-watched lists' state (API roles only).
    let writer: EventWriter?
    let coWatch: CoWatchLists?
    let failures: ArmFailureCounts
    let metrics: ServerMetrics
    let adminToken: String
    /// How long a results page's reads are kept (``ServerConfiguration/pageFreshness``).
    let pageFreshness: Duration
    /// Told of the changes the admin routes make.
    var notifier: any Notifier = NoNotifier()

    /// The router, with every route this role serves.
    public func makeRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        let served = ServedRoutes()
        router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
        router.add(middleware: APIErrorMiddleware(routes: served))
        router.addRoutes(OperationRoutes(
            registry: registry, modules: modules, store: store, writer: writer, coWatch: coWatch, failures: failures, metrics: metrics
        ).collection)
        if let recommendations, let ingest {
            router.addRoutes(ServingRoutes(recommendations: recommendations, ingest: ingest).collection)
            let reader = ResultsReader(store: store, metricsStore: metricsStore, assignments: FirstAssignmentCache(metricsStore: metricsStore),
                                       pageFreshness: pageFreshness)
            router.addRoutes(ExperimentRoutes(registry: registry, store: store, reader: reader).collection)
            router.addRoutes(PageRoutes(registry: registry, reader: reader).collection)
            router.addRoutes(ModelRoutes(models: models).collection)
            router.addRoutes(AdminRoutes(control: ExperimentControl(registry: registry, store: store, notifier: notifier), models: models, adminToken: adminToken).collection)
        }
        served.set(router.routes.map { APIRoute(method: $0.method.rawValue, path: $0.path.description) })
        return router
    }
}

/// One route: a method and a path in OpenAPI's spelling (`/v1/experiments/{id}`).
public struct APIRoute: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// `GET`, `POST`, …
    public var method: String
    /// The path template.
    public var path: String

    public var description: String { "\(method) \(path)" }

    public static func < (lhs: APIRoute, rhs: APIRoute) -> Bool {
        (lhs.path, lhs.method) < (rhs.path, rhs.method)
    }
}

/// The routes a router serves, for telling "no such path" (404) from "no such method on this
/// path" (405): the router itself answers 404 to both.
final class ServedRoutes: Sendable {
    private let routes = NIOLockedValueBox<[APIRoute]>([])

    func set(_ list: [APIRoute]) { routes.withLockedValue { $0 = list } }

    /// The methods served at `path`, matching `{parameter}` segments to anything.
    func methods(at path: String) -> [String] {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return routes.withLockedValue { routes in
            routes.filter { route in
                let template = route.path.split(separator: "/", omittingEmptySubsequences: false)
                return template.count == parts.count && zip(template, parts).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
            }.map(\.method)
        }
    }
}
