import ArmoryCore
import Foundation
import Hummingbird

/// An error as the API answers it: a status, a code for programs and a message for people that
/// is safe to show (never a stack trace or an internal detail), rendered as
/// `{"error": {"code", "message"}}`. Only ``APIErrorMiddleware`` makes these, from what the
/// use cases and the router throw: it is the one place errors are mapped to HTTP.
public struct APIError: Error, HTTPResponseError, Sendable, Hashable, CustomStringConvertible {
    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// A stable, snake_case code.
    public var code: String
    /// What is wrong, naming the field or value.
    public var message: String
    /// Extra headers (`Retry-After`, `WWW-Authenticate`).
    public var headers: HTTPFields = [:]

    /// Creates an error.
    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try APIJSON.response(Body(error: .init(code: code, message: message)), status: status)
        response.headers.append(contentsOf: headers)
        return response
    }

    /// The body of every error answer, `{"error": {"code", "message"}}`; the CLI reads it too.
    public struct Body: Sendable, Codable {
        /// What went wrong.
        public struct Detail: Sendable, Codable {
            /// A stable, machine-readable code (`unknown_experiment`, `invalid`, …).
            public var code: String
            /// What a person should know.
            public var message: String
        }

        /// The error.
        public var error: Detail
    }
}
