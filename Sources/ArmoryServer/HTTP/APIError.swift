import ArmoryCore
import Foundation
import Hummingbird

/// An error the API answers with: a status, a code for programs and a message for people that
/// is safe to show (never a stack trace or an internal detail). Rendered as
/// `{"error": {"code", "message"}}`; every other error becomes one of these in
/// ``APIErrorMiddleware``, the one place errors are mapped to HTTP.
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

    // MARK: The errors used across routes

    /// 400: a query parameter or field is missing or wrong.
    static func invalid(_ field: String, _ message: String) -> APIError {
        APIError(.badRequest, "invalid_\(field)", message)
    }

    /// 404: no such experiment.
    static func unknownExperiment(_ id: String) -> APIError {
        APIError(.notFound, "unknown_experiment", "no experiment '\(id)' is being served; GET /v1/experiments lists them")
    }

    /// 503 with `Retry-After`.
    static func unavailable(_ code: String, _ message: String, retryAfter seconds: Int = 1) -> APIError {
        APIError(.serviceUnavailable, code, message, headers: [.retryAfter: String(seconds)])
    }
}

/// How the API writes and reads JSON: snake_case keys, ISO 8601 times, sorted keys.
public enum APIJSON {
    /// The encoder for responses.
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            // UTC with the zone written out ("…T16:58:59.231Z"): a time without one is read as local.
            try container.encode(date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        }
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }()

    /// The decoder for request bodies (whose types spell their snake_case keys out); times as
    /// ISO 8601 text or Unix seconds.
    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            if let seconds = try? container.decode(Double.self) {
                return Date(timeIntervalSince1970: seconds)
            }
            let text = try container.decode(String.self)
            if let date = try? Date(text, strategy: .iso8601) { return date }
            if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not an ISO 8601 time or Unix seconds")
        }
        return decoder
    }()

    /// A JSON response.
    public static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A text response.
    public static func text(_ text: String, contentType: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: contentType], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// The request's JSON body as `T`, or a 400 naming the field that is wrong. Bodies over
    /// `limit` bytes are refused with 413.
    public static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int = 1 << 20) async throws -> T {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch {
            throw APIError(.contentTooLarge, "body_too_large", "the request body is larger than \(limit) bytes")
        }
        return try decode(type, from: Data(buffer: buffer))
    }

    /// `data` as `T`, or a 400 naming the field that is wrong.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        guard !data.isEmpty else { throw APIError(.badRequest, "invalid_json", "the request needs a JSON body") }
        do {
            return try decoder.decode(T.self, from: data)
        } catch let error as DecodingError {
            throw APIError(.badRequest, "invalid_json", describe(error))
        }
    }

    /// A decoding error in words that name the field, without Swift type names.
    static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            let text = codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.hasPrefix(".") ? String(text.dropFirst()) : text
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context.codingPath)
            let name = key.stringValue
            return "missing field '\(parent.isEmpty ? name : parent + "." + name)'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "field '\(path(context.codingPath))' has the wrong type"
        case .dataCorrupted(let context) where context.underlyingError is UnknownFields:
            let location = path(context.codingPath)
            return location.isEmpty ? context.debugDescription : "\(location): \(context.debugDescription)"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "the body is not valid JSON" : "field '\(path(context.codingPath))': \(context.debugDescription)"
        @unknown default:
            return "the body is not what this route expects"
        }
    }
}
