import ArmoryServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import Yams

/// Health, readiness, metrics, the OpenAPI document and the algorithm list.
@Suite("Routes: operations")
struct OperationsRouteTests {
    @Test("health, ready, algorithms and metrics by route template")
    func operations() async throws {
        let folder = try TestServer.makeFolder(["rail.yaml": TestServer.rail])
        defer { try? FileManager.default.removeItem(at: folder) }
        try await TestServer.run(TestServer.configuration(in: folder)) { client, _ in
            #expect(try await client.get("/health", as: [String: String].self) == ["status": "ok"])
            let ready = try await client.get("/ready", as: ReadyStatus.self)
            #expect(ready.status == "ready" && ready.experiments == 1)
            let algorithms = try await client.get("/v1/algorithms", as: AlgorithmList.self).algorithms
            #expect(Set(["history", "item-to-item", "popularity", "random"]).isSubset(of: algorithms.map(\.name)))

            _ = try await client.recommend("u1", in: "rail")
            _ = try await client.execute(uri: "/v1/experiments/nope", method: .get)
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains(#"armory_http_requests_total{route="/v1/recommendations",method="GET",status="200"} 1"#))
            #expect(metrics.contains(#"armory_http_requests_total{route="/v1/experiments/{id}",method="GET",status="404"} 1"#))
            #expect(metrics.contains(#"armory_http_request_duration_seconds_bucket{route="/v1/recommendations",method="GET",le="0.01"}"#))
            #expect(metrics.contains("armory_decisions_total{experiment=\"rail\""))
            #expect(metrics.contains("armory_event_queue_events"))
            #expect(!metrics.contains("u1"), "no user ids in labels")
        }
    }

    @Test("the OpenAPI document lists exactly the routes the router serves")
    func openAPI() async throws {
        let folder = try TestServer.makeFolder(["rail.yaml": TestServer.rail])
        defer { try? FileManager.default.removeItem(at: folder) }
        try await TestServer.run(TestServer.configuration(in: folder)) { client, armory in
            let text = String(buffer: try await client.execute(uri: "/openapi.yaml", method: .get).body)
            let document = try #require(try Yams.load(yaml: text) as? [String: Any])
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            let documented = Set(paths.flatMap { path, operations in operations.keys.map { "\($0.uppercased()) \(path)" } })
            let served = Set(armory.api.makeRouter().routes.map(\.description))
            #expect(documented == served)
            #expect(served.count >= 16)
        }
    }
}
