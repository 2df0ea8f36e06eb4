import ArmoryCore
import Crypto
import Foundation
import Hummingbird

/// Lets a request through only with `Authorization: Bearer <admin token>`: the one check in
/// front of every route that changes an experiment.
struct AdminAuthentication<Context: RequestContext>: RouterMiddleware {
    /// The token's SHA-256: requests are compared as digests, in constant time.
    private let tokenDigest: SHA256.Digest

    init(token: String) {
        tokenDigest = SHA256.hash(data: Data(token.utf8))
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            throw ArmoryError(.unauthenticated, .unauthorized, "this route needs the admin token: Authorization: Bearer $ARMORY_ADMIN_TOKEN")
        }
        guard SHA256.hash(data: Data(header.dropFirst("Bearer ".count).utf8)) == tokenDigest else {
            throw ArmoryError(.unauthenticated, .unauthorized, "the admin token is wrong")
        }
        return try await next(request, context)
    }
}
