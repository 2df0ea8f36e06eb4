import ArmoryCore
import ArmoryKit
import ArmoryStorage
import Crypto
import Foundation
import Hummingbird
import NIOConcurrencyHelpers

/// The HTTP API: every route of ARCHITECTURE.md ("HTTP API"), registered on one router with the
/// error and metrics middleware. The routes live in extensions by area (serving, experiments,
/// admin, operations); each is registered through ``RouteTable`` so the list of routes is known
/// (the OpenAPI document is tested against it).
public struct ArmoryAPI: Sendable {
    let catalog: ExperimentCatalog
    /// The algorithm modules (more load on reload).
    let modules: AlgorithmModules
    let store: any StateStore
    let metricsStore: any MetricsStore
    /// `nil` in a worker, which serves only the operations routes.
    let writer: EventWriter?
    let signer: DecisionSigner
    let data: any DataSource
    /// Counts views and clicks for the hot list, when Redis is configured.
    let hotList: HotListDataSource?
    /// The co-watched lists, for `/metrics`; `nil` in a worker.
    let coWatch: CoWatchLists?
    let failures: ArmFailureCounts
    let metrics: ServerMetrics
    let adminToken: String

    /// The router, and the routes it serves.
    public func makeRouter() -> (router: Router<BasicRequestContext>, routes: [APIRoute]) {
        let router = Router(context: BasicRequestContext.self)
        let served = ServedRoutes()
        router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
        router.add(middleware: APIErrorMiddleware(routes: served))
        var table = RouteTable(router: router)
        addOperationRoutes(to: &table)
        if let writer {
            addServingRoutes(to: &table, writer: writer)
            addExperimentRoutes(to: &table)
            addAdminRoutes(to: &table)
        }
        served.set(table.routes)
        return (router, table.routes)
    }


    var control: ExperimentControl {
        ExperimentControl(catalog: catalog, store: store)
    }

    /// Throws 401 unless the request carries `Authorization: Bearer <admin token>`.
    func requireAdmin(_ request: Request) throws {
        let challenge: HTTPFields = [.wwwAuthenticate: "Bearer realm=\"armory\""]
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            throw APIError(.unauthorized, "unauthorized", "this route needs the admin token: Authorization: Bearer $ARMORY_ADMIN_TOKEN",
                           headers: challenge)
        }
        // Compared as SHA-256 digests, in constant time.
        let given = SHA256.hash(data: Data(header.dropFirst("Bearer ".count).utf8))
        let expected = SHA256.hash(data: Data(adminToken.utf8))
        guard given == expected else {
            throw APIError(.unauthorized, "unauthorized", "the admin token is wrong", headers: challenge)
        }
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

/// Registers routes on a router and remembers them.
struct RouteTable {
    let router: Router<BasicRequestContext>
    private(set) var routes: [APIRoute] = []

    init(router: Router<BasicRequestContext>) {
        self.router = router
    }

    /// Adds `handler` for `method` at `path` (Hummingbird's spelling: `:id` for a parameter).
    mutating func add(
        _ method: HTTPRequest.Method, _ path: String,
        _ handler: @escaping @Sendable (Request, BasicRequestContext) async throws -> Response
    ) {
        router.on(RouterPath(path), method: method) { request, context in try await handler(request, context) }
        let template = path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
        routes.append(APIRoute(method: method.rawValue, path: "/" + template))
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
