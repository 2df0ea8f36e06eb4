import ArmoryCore
import Foundation
import Hummingbird

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

    /// The decoder for the API's answers, for its clients (the CLI, the tests): snake_case keys
    /// back to Swift's names, with `_id` as `ID` (`decision_id` → `decisionID`), and times as
    /// ``decoder`` reads them.
    public static let responseDecoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .custom { path in
            let key = path.last!.stringValue
            let parts = key.split(separator: "_")
            guard parts.count > 1 else { return AnyCodingKey(key) }
            let rest = parts.dropFirst().map { $0 == "id" ? "ID" : $0.prefix(1).uppercased() + $0.dropFirst() }
            return AnyCodingKey(String(parts[0]) + rest.joined())
        }
        decoder.dateDecodingStrategy = APIJSON.decoder.dateDecodingStrategy
        return decoder
    }()

    private struct AnyCodingKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

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

    /// The request's JSON body as `T`, or an invalid ``ArmoryError`` naming the field that is
    /// wrong. Bodies over `limit` bytes are refused as too large.
    public static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int = 1 << 20) async throws -> T {
        try decode(type, from: try await body(of: request, limit: limit, tooLarge: "the request body is larger than \(limit) bytes"))
    }

    /// The request's body, or a too-large ``ArmoryError`` saying `tooLarge` past `limit` bytes.
    static func body(of request: Request, limit: Int, tooLarge: String) async throws -> Data {
        do {
            return Data(buffer: try await request.body.collect(upTo: limit))
        } catch {
            throw ArmoryError(.tooLarge, .bodyTooLarge, tooLarge)
        }
    }

    /// `data` as `T`, or an invalid ``ArmoryError`` naming the field that is wrong.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        guard !data.isEmpty else { throw ArmoryError(.invalid, .invalidJSON, "the request needs a JSON body") }
        do {
            return try decoder.decode(T.self, from: data)
        } catch let error as DecodingError {
            throw ArmoryError(.invalid, .invalidJSON, describe(error))
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
