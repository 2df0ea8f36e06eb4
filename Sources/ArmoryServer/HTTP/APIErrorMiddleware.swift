import ArmoryStorage
import Hummingbird
import Logging

/// Turns every error a route throws into the API's JSON error shape: ``APIError``s as they
/// are, a store that cannot be reached into a 503 with `Retry-After`, a method a path does not
/// take into a 405 with `Allow` (the router answers 404 to it), Hummingbird's own (no route,
/// body too large) with a code for their status, and anything else into a 500 whose detail goes
/// to the log only.
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: ServedRoutes

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as StorageError where error.code == .unreachable {
            // A store that is away comes back: clients should retry, not report a bug.
            context.logger.warning("store unavailable", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            throw APIError.unavailable("store_unavailable", "a store is unavailable; retry shortly", retryAfter: 5)
        } catch let error as HTTPError where error.status == .notFound && !routes.methods(at: request.uri.path).isEmpty {
            let allowed = routes.methods(at: request.uri.path).sorted()
            throw APIError(.methodNotAllowed, "method_not_allowed", "\(request.uri.path) does not take \(request.method); it takes \(allowed.joined(separator: ", "))",
                           headers: [.allow: allowed.joined(separator: ", ")])
        } catch let error as HTTPError {
            throw APIError(error.status, Self.code(for: error.status), error.body ?? Self.message(for: error.status, request), headers: error.headers)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))", "path": "\(request.uri.path)"])
            throw APIError(.internalServerError, "internal", "the server failed to answer; the cause is in its log")
        }
    }

    static func code(for status: HTTPResponse.Status) -> String {
        switch status {
        case .notFound: "not_found"
        case .methodNotAllowed: "method_not_allowed"
        case .contentTooLarge: "body_too_large"
        case .unauthorized: "unauthorized"
        default: status.code < 500 ? "bad_request" : "internal"
        }
    }

    static func message(for status: HTTPResponse.Status, _ request: Request) -> String {
        switch status {
        case .notFound: "no route \(request.method) \(request.uri.path); GET /openapi.yaml lists them"
        case .methodNotAllowed: "\(request.uri.path) does not take \(request.method)"
        default: status.reasonPhrase
        }
    }
}

/// Counts requests by route template, method and status, and times them, for `/metrics`.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let status: HTTPResponse.Status
        defer {
            let elapsed = ContinuousClock.now - start
            let route = context.endpointPath ?? "unmatched"
            let nanoseconds = elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
            metrics.increment("armory_http_requests_total", [("route", route), ("method", request.method.rawValue), ("status", String(status.code))])
            metrics.record("armory_http_request_duration_seconds", [("route", route), ("method", request.method.rawValue)], nanoseconds: nanoseconds)
        }
        do {
            let response = try await next(request, context)
            status = response.status
            return response
        } catch let error as any HTTPResponseError {
            status = error.status
            throw error
        } catch {
            status = .internalServerError
            throw error
        }
    }
}
