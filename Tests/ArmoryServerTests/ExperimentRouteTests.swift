import ArmoryServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The experiment routes and the admin routes that change experiments.
@Suite("Routes: experiments, results, rollback, pause, resume, reload")
struct ExperimentRouteTests {
    @Test("experiments, one experiment, results (JSON and CSV) and weights")
    func reading() async throws {
        let folder = try TestServer.makeFolder(["duel.yaml": TestServer.duel, "rail.yaml": TestServer.rail])
        defer { try? FileManager.default.removeItem(at: folder) }
        try await TestServer.run(TestServer.configuration(in: folder)) { client, _ in
            let list = try #require(try await client.getJSON("/v1/experiments")["experiments"] as? [[String: Any]])
            #expect(list.compactMap { $0["id"] as? String } == ["duel", "rail"])

            let rail = try await client.getJSON("/v1/experiments/rail")
            #expect(rail["policy"] as? String == "fixed")
            #expect(rail["status"] as? String == "running")
            #expect(rail["config_version"] as? Int == 1)
            #expect(rail["coverage"] as? Double == 0.5)
            let arms = try #require(rail["arms"] as? [[String: Any]])
            #expect((arms[1]["params"] as? [String: Any])?["like_boost"] as? Double == 2.0)

            for index in 0..<30 { _ = try await client.getJSON("/v1/recommendations?user_id=u\(index)&experiment=duel") }
            // Impressions are queued, not awaited, by the request: wait (up to 5 s) for the flush.
            var results: [String: Any] = [:]
            var total = 0
            for _ in 0..<50 {
                results = try await client.getJSON("/v1/experiments/duel/results")
                total = (results["arms"] as? [[String: Any]] ?? []).reduce(0) { $0 + ($1["trials"] as? Int ?? 0) }
                if total == 30 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            let rows = try #require(results["arms"] as? [[String: Any]])
            #expect(total == 30)
            for row in rows {
                for field in ["posterior_mean", "interval_low", "interval_high", "probability_best", "expected_loss", "weight"] {
                    #expect(row[field] is Double, "\(field)")
                }
            }
            #expect(results["srm_p_value"] is Double)

            let csv = try await client.execute(uri: "/v1/experiments/duel/results?format=csv", method: .get)
            #expect(csv.headers[.contentType]?.hasPrefix("text/csv") == true)
            let lines = String(buffer: csv.body).split(separator: "\r\n")
            #expect(lines.first?.hasPrefix("experiment,arm,algorithm,trials,successes,rate") == true)
            #expect(lines.count == 3)

            let weights = try await client.getJSON("/v1/experiments/duel/weights")
            #expect(weights["current"] as? Int == 1)
            let versions = try #require(weights["versions"] as? [[String: Any]])
            #expect(versions.first?["reason"] as? String == "initial")
            #expect(versions.first?["weights"] as? [Double] == [0.5, 0.5])
        }
    }

    @Test("reading errors", arguments: [
        ("/v1/experiments/nope", 404, "unknown_experiment"),
        ("/v1/experiments/Not_An_Id", 400, "invalid_id"),
        ("/v1/experiments/nope/results", 404, "unknown_experiment"),
        ("/v1/experiments/rail/results?format=xml", 400, "invalid_format"),
        ("/v1/experiments/nope/weights", 404, "unknown_experiment"),
        ("/v1/experiments/rail/weights?limit=0", 400, "invalid_limit"),
        ("/v1/experiments/rail/audit?limit=x", 400, "invalid_limit"),
        ("/v2/nothing", 404, "not_found"),
    ])
    func readingErrors(uri: String, status: Int, code: String) async throws {
        let folder = try TestServer.makeFolder(["rail.yaml": TestServer.rail])
        defer { try? FileManager.default.removeItem(at: folder) }
        try await TestServer.run(TestServer.configuration(in: folder)) { client, _ in
            let response = try await client.execute(uri: uri, method: .get)
            #expect(Int(response.status.code) == status)
            #expect(response.errorCode == code)
        }
    }

    @Test("rollback to an arm pins it, resume ends the pin, pause serves the fallback; each is audited")
    func control() async throws {
        let folder = try TestServer.makeFolder(["rail.yaml": TestServer.rail])
        defer { try? FileManager.default.removeItem(at: folder) }
        try await TestServer.run(TestServer.configuration(in: folder)) { client, _ in
            let pinned = try await client.post("/v1/experiments/rail/rollback", ["to_arm": "personal", "reason": "control is broken", "actor": "ana"])
            #expect(pinned.status == .ok)
            #expect(try pinned.json()["status"] as? String == "pinned")
            for index in 0..<20 {
                let served = try await client.getJSON("/v1/recommendations?user_id=u\(index)&experiment=rail")
                #expect(served["arm"] as? String == "personal")
                #expect(served["in_experiment"] as? Bool == false)
            }
            #expect(try await client.post("/v1/experiments/rail/resume", ["reason": "fixed", "actor": "ana"]).json()["status"] as? String == "running")
            let paused = try await client.post("/v1/experiments/rail/pause", ["reason": "holiday traffic", "actor": "bo"])
            #expect(try paused.json()["status"] as? String == "paused")
            for index in 0..<20 {
                let served = try await client.getJSON("/v1/recommendations?user_id=u\(index)&experiment=rail")
                #expect(served["arm"] as? String == "control")
                #expect(served["in_experiment"] as? Bool == false)
            }
            // Restoring version 1 of a fixed split appends version 2 with its weights.
            let restored = try await client.post("/v1/experiments/rail/rollback", ["to_version": 1, "reason": "back to the start", "actor": "cy"])
            #expect(try restored.json()["weight_version"] as? Int == 2)

            let audit = try #require(try await client.getJSON("/v1/experiments/rail/audit")["entries"] as? [[String: Any]])
            #expect(audit.map { "\($0["action"] ?? "") \($0["actor"] ?? "") \($0["reason"] ?? "")" } == [
                "rollback cy back to the start", "pause bo holiday traffic", "resume ana fixed", "rollback ana control is broken",
            ])
        }
    }

    struct AdminCase: Sendable, CustomTestStringConvertible {
        var uri: String
        var body: String
        var token: String? = TestServer.adminToken
        var status: Int
        var code: String
        var testDescription: String { "\(uri) \(body) → \(code)" }
    }

    static let adminCases: [AdminCase] = [
        AdminCase(uri: "/v1/experiments/rail/pause", body: #"{"reason": "x"}"#, token: nil, status: 401, code: "unauthorized"),
        AdminCase(uri: "/v1/experiments/rail/pause", body: #"{"reason": "x"}"#, token: "wrong-token-0123456789", status: 401, code: "unauthorized"),
        AdminCase(uri: "/v1/experiments/rail/pause", body: "{}", status: 400, code: "invalid_reason"),
        AdminCase(uri: "/v1/experiments/rail/pause", body: #"{"reason": "   "}"#, status: 400, code: "invalid_reason"),
        AdminCase(uri: "/v1/experiments/rail/pause", body: "", status: 400, code: "invalid_json"),
        AdminCase(uri: "/v1/experiments/nope/pause", body: #"{"reason": "x"}"#, status: 404, code: "unknown_experiment"),
        AdminCase(uri: "/v1/experiments/rail/rollback", body: #"{"reason": "x"}"#, status: 400, code: "invalid_target"),
        AdminCase(uri: "/v1/experiments/rail/rollback", body: #"{"reason": "x", "to_version": 1, "to_arm": "control"}"#, status: 400, code: "invalid_target"),
        AdminCase(uri: "/v1/experiments/rail/rollback", body: #"{"reason": "x", "to_arm": "ghost"}"#, status: 400, code: "invalid_to_arm"),
        AdminCase(uri: "/v1/experiments/rail/rollback", body: #"{"reason": "x", "to_version": 9}"#, status: 404, code: "unknown_version"),
        AdminCase(uri: "/v1/experiments/rail/rollback", body: #"{"reason": "x", "to_version": 0}"#, status: 400, code: "invalid_to_version"),
        AdminCase(uri: "/v1/experiments/rail/rollback", body: #"{"reason": "x", "to_version": "one"}"#, status: 400, code: "invalid_json"),
        AdminCase(uri: "/v1/admin/reload", body: "{}", status: 400, code: "invalid_reason"),
    ]

    @Test("admin errors: token, reason, target", arguments: adminCases)
    func adminErrors(_ test: AdminCase) async throws {
        let folder = try TestServer.makeFolder(["rail.yaml": TestServer.rail])
        defer { try? FileManager.default.removeItem(at: folder) }
        try await TestServer.run(TestServer.configuration(in: folder)) { client, _ in
            var headers: HTTPFields = [.contentType: "application/json"]
            if let token = test.token { headers[.authorization] = "Bearer \(token)" }
            let response = try await client.execute(uri: test.uri, method: .post, headers: headers, body: ByteBuffer(string: test.body))
            #expect(Int(response.status.code) == test.status)
            #expect(response.errorCode == test.code, "\(response.errorMessage ?? "")")
            if test.status == 401 { #expect(response.headers[.wwwAuthenticate] != nil) }
        }
    }

    @Test("reload: a changed file is a new config version, a broken one keeps its previous version serving, a deleted one stops")
    func reload() async throws {
        let folder = try TestServer.makeFolder(["duel.yaml": TestServer.duel, "rail.yaml": TestServer.rail])
        defer { try? FileManager.default.removeItem(at: folder) }
        let experiments = folder.appendingPathComponent("experiments")
        try await TestServer.run(TestServer.configuration(in: folder)) { client, armory in
            // Only the description changes: same phase, new config version.
            try TestServer.rail.replacingOccurrences(of: "half the users held out", with: "a new description")
                .write(to: experiments.appendingPathComponent("rail.yaml"), atomically: true, encoding: .utf8)
            let first = try await client.post("/v1/admin/reload", ["reason": "new description"]).json()
            let loaded = try #require(first["loaded"] as? [[String: Any]])
            #expect(loaded.first { $0["id"] as? String == "rail" }?["config_version"] as? Int == 2)
            #expect(loaded.first { $0["id"] as? String == "rail" }?["is_new_version"] as? Bool == true)
            #expect(loaded.first { $0["id"] as? String == "duel" }?["is_new_version"] as? Bool == false)
            #expect(armory.registry.experiment("rail")?.weights.version == 1)

            // A broken file: refused with its problems located; version 2 keeps serving.
            try "id: rail\nobjective: ctr\nfallback: control\narms: []\n".write(
                to: experiments.appendingPathComponent("rail.yaml"), atomically: true, encoding: .utf8)
            try FileManager.default.removeItem(at: experiments.appendingPathComponent("duel.yaml"))
            let second = try await client.post("/v1/admin/reload", ["reason": "broken edit"]).json()
            let refused = try #require((second["refused"] as? [[String: Any]])?.first)
            #expect((refused["file"] as? String)?.hasSuffix("rail.yaml") == true)
            #expect(refused["kept_serving"] as? String == "rail")
            #expect((refused["problems"] as? [String])?.first?.contains("rail.yaml:") == true)
            #expect(second["removed"] as? [String] == ["duel"])
            #expect(try await client.getJSON("/v1/experiments/rail")["config_version"] as? Int == 2)
            #expect(try await client.execute(uri: "/v1/experiments/duel", method: .get).status == .notFound)

            let audit = try #require(try await client.getJSON("/v1/experiments/rail/audit")["entries"] as? [[String: Any]])
            #expect(audit.isEmpty)  // reloads are server-wide entries, not the experiment's
            let all = try await armory.store.auditEntries(experimentID: nil, limit: 10)
            #expect(all.map(\.reason) == ["broken edit", "new description"])
        }
    }
}
