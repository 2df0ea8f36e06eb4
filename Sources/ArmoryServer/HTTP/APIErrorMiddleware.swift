import ArmoryCore
import ArmoryStorage
import Hummingbird
import Logging

/// The one place errors become HTTP: every error a route or a use case throws is answered in
/// the API's JSON error shape. An ``ArmoryError`` gets the status of its kind (with
/// `Retry-After` when a part is unavailable, and the bearer challenge when the caller is not
/// authenticated); a store that cannot be reached becomes a 503 with `Retry-After`; a method a
/// path does not take becomes a 405 with `Allow` (the router answers 404 to it); Hummingbird's
/// own errors keep their status with a code for it; anything else becomes a 500 whose detail
/// goes to the log only.
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: ServedRoutes

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as ArmoryError {
            throw Self.answer(error)
        } catch let error as StorageError where error.code == .unreachable {
            // A store that is away comes back: clients should retry, not report a bug.
            context.logger.warning("store unavailable", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            throw Self.answer(.unavailable(.storeUnavailable, "a store is unavailable; retry shortly", retryAfter: 5))
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

    /// The answer to a use case's error: the status its kind stands for.
    static func answer(_ error: ArmoryError) -> APIError {
        var headers: HTTPFields = [:]
        if let seconds = error.retryAfter { headers[.retryAfter] = String(seconds) }
        let status: HTTPResponse.Status
        switch error.kind {
        case .invalid: status = .badRequest
        case .notFound: status = .notFound
        case .conflict: status = .conflict
        case .tooLarge: status = .contentTooLarge
        case .unavailable: status = .serviceUnavailable
        case .unauthenticated:
            status = .unauthorized
            headers[.wwwAuthenticate] = "Bearer realm=\"armory\""
        }
        return APIError(status, error.code.rawValue, error.message, headers: headers)
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
