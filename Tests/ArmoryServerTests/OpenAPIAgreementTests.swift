import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import Yams

/// The OpenAPI document and the server agree: what the document's schemas refuse, the server
/// refuses with a 400 the document lists; what they allow, the server takes. Each probe is one
/// a schema-driven tester (schemathesis) found the two disagreeing on.
// One case at a time: each starts a whole server, and many at once starve other suites' timers.
@Suite("The OpenAPI document and the server agree on what is allowed", .serialized)
struct OpenAPIAgreementTests {
    struct Probe: Sendable, CustomTestStringConvertible {
        var method: HTTPRequest.Method
        /// The document's path template, and the path sent.
        var template: String
        var path: String
        /// Query parameters, checked against the operation's parameters.
        var query: [String: String] = [:]
        /// A JSON body, checked against the operation's request body.
        var body: String?
        var testDescription: String { "\(method) \(path)\(query.isEmpty ? "" : "?…") \(body ?? "")" }
    }

    static let probes: [Probe] = [
        Probe(method: .get, template: "/v1/experiments/{id}", path: "/v1/experiments/BAD!"),
        Probe(method: .get, template: "/v1/experiments/{id}/results", path: "/v1/experiments/BAD!/results"),
        Probe(method: .get, template: "/v1/experiments/{id}/weights", path: "/v1/experiments/BAD!/weights"),
        Probe(method: .get, template: "/v1/experiments/{id}/audit", path: "/v1/experiments/BAD!/audit"),
        Probe(method: .get, template: "/v1/recommendations", path: "/v1/recommendations", query: ["user_id": "u1", "experiment": ""]),
        Probe(method: .get, template: "/v1/recommendations", path: "/v1/recommendations", query: ["user_id": "a\nb", "experiment": "rail"]),
        Probe(method: .get, template: "/v1/recommendations", path: "/v1/recommendations", query: ["user_id": "u1", "experiment": "rail"]),
        Probe(method: .post, template: "/v1/events", path: "/v1/events", body: "[]"),
        Probe(method: .post, template: "/v1/events", path: "/v1/events", body: #"{"type":"view","user_id":"u1","movie_id":1,"event_id":""}"#),
        Probe(method: .post, template: "/v1/events", path: "/v1/events", body: #"{"type":"view","user_id":"u1","movie_id":1,"vaule":3}"#),
        Probe(method: .post, template: "/v1/events", path: "/v1/events", body: #"{"type":"view","user_id":"u1","movie_id":0}"#),
        Probe(method: .post, template: "/v1/events", path: "/v1/events", body: #"{"type":"view","user_id":"u1","movie_id":1}"#),
        Probe(method: .post, template: "/v1/experiments/{id}/pause", path: "/v1/experiments/rail/pause", body: #"{"reason":""}"#),
        Probe(method: .post, template: "/v1/experiments/{id}/pause", path: "/v1/experiments/rail/pause", body: #"{"reason":"   "}"#),
        Probe(method: .post, template: "/v1/experiments/{id}/pause", path: "/v1/experiments/rail/pause", body: #"{"reason":"x","to_arm":"a"}"#),
        Probe(method: .post, template: "/v1/experiments/{id}/pause", path: "/v1/experiments/rail/pause", body: #"{"reason":"a pause"}"#),
        Probe(method: .post, template: "/v1/experiments/{id}/rollback", path: "/v1/experiments/rail/rollback",
              body: #"{"reason":"x","to_version":1,"to_arm":"control"}"#),
        Probe(method: .post, template: "/v1/experiments/{id}/rollback", path: "/v1/experiments/rail/rollback", body: #"{"reason":"x"}"#),
        Probe(method: .post, template: "/v1/experiments/{id}/rollback", path: "/v1/experiments/rail/rollback",
              body: #"{"reason":"back","to_version":1}"#),
        Probe(method: .post, template: "/v1/experiments/{id}/arms/{arm}/restore", path: "/v1/experiments/rail/arms/control/restore",
              body: #"{"reason":"x","to_version":1}"#),
        Probe(method: .post, template: "/v1/experiments/{id}/arms/{arm}/restore", path: "/v1/experiments/rail/arms/control/restore",
              body: #"{"reason":""}"#),
        Probe(method: .post, template: "/v1/admin/reload", path: "/v1/admin/reload", body: #"{"reason":"x","actor":""#
              + String(repeating: "a", count: 101) + #""}"#),
    ]

    @Test("each probe: refused by the document means a documented 400 from the server, allowed means accepted", arguments: probes)
    func agree(probe: Probe) async throws {
        let folder = try TestServer.makeFolder(["rail.yaml": TestServer.rail])
        defer { try? FileManager.default.removeItem(at: folder) }
        try await TestServer.run(TestServer.configuration(in: folder)) { client, _ in
            let text = String(buffer: try await client.execute(uri: "/openapi.yaml", method: .get).body)
            let document = try #require(try Yams.load(yaml: text) as? [String: Any])
            let check = SchemaCheck(document: document)
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            let operation = try #require(paths[probe.template]?[probe.method.rawValue.lowercased()] as? [String: Any])
            let allowed = try Self.documentAllows(probe, operation: operation, check: check)

            var components = URLComponents()
            components.path = probe.path
            if !probe.query.isEmpty { components.queryItems = probe.query.map { URLQueryItem(name: $0, value: $1) } }
            let uri = components.percentEncodedPath + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
            let response = try await client.execute(
                uri: uri, method: probe.method,
                headers: [.authorization: "Bearer \(TestServer.adminToken)", .contentType: "application/json"],
                body: probe.body.map { ByteBuffer(string: $0) })
            let responses = operation["responses"] as? [String: Any] ?? [:]
            if allowed {
                #expect(response.status.code < 300, "the document allows it; the server answered \(response.status.code): \(String(buffer: response.body))")
            } else {
                #expect(response.status == .badRequest, "the document refuses it; the server answered \(response.status.code)")
                #expect(responses["400"] != nil, "the server's 400 is documented")
            }
        }
    }

    @Test("a method no route takes is 405 on a path that exists, as for any other method")
    func otherMethods() async throws {
        let folder = try TestServer.makeFolder(["rail.yaml": TestServer.rail])
        defer { try? FileManager.default.removeItem(at: folder) }
        try await TestServer.run(TestServer.configuration(in: folder)) { client, _ in
            for method: HTTPRequest.Method in [.trace, .put, .delete, .patch] {
                let response = try await client.execute(uri: "/v1/experiments", method: method)
                #expect(response.status == .methodNotAllowed, "\(method): \(response.status.code)")
            }
        }
    }

    /// Whether the operation's parameters and request body allow the probe.
    static func documentAllows(_ probe: Probe, operation: [String: Any], check: SchemaCheck) throws -> Bool {
        let parameters = (operation["parameters"] as? [[String: Any]] ?? []).map { parameter -> [String: Any] in
            guard let reference = parameter["$ref"] as? String else { return parameter }
            let name = reference.split(separator: "/").last.map(String.init) ?? ""
            return ((check.document["components"] as? [String: Any])?["parameters"] as? [String: Any])?[name] as? [String: Any] ?? [:]
        }
        let templateParts = probe.template.split(separator: "/")
        let pathParts = probe.path.split(separator: "/")
        for parameter in parameters {
            guard let name = parameter["name"] as? String, let schema = parameter["schema"] as? [String: Any] else { continue }
            let value: String?
            if parameter["in"] as? String == "path" {
                value = zip(templateParts, pathParts).first { $0.0 == "{\(name)}" }.map { String($0.1) }
            } else {
                value = probe.query[name]
            }
            if let value {
                let typed: Any = schema["type"] as? String == "integer" ? (Int(value) as Any? ?? value) : value
                if !check.allows(typed, schema) { return false }
            } else if parameter["required"] as? Bool == true {
                return false
            }
        }
        if let body = probe.body {
            let schema = (((operation["requestBody"] as? [String: Any])?["content"] as? [String: Any])?["application/json"] as? [String: Any])?["schema"]
            let value = try JSONSerialization.jsonObject(with: Data(body.utf8), options: [.fragmentsAllowed])
            if let schema = schema as? [String: Any], !check.allows(value, schema) { return false }
        }
        return true
    }
}
