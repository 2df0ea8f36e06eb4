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
            let list = try await client.get("/v1/experiments", as: ExperimentList.self)
            #expect(list.experiments.map(\.id) == ["duel", "rail"])

            let rail = try await client.get("/v1/experiments/rail", as: ExperimentSummary.self)
            #expect(rail.policy == "fixed")
            #expect(rail.status == "running")
            #expect(rail.configVersion == 1)
            #expect(rail.coverage == 0.5)
            #expect(rail.arms[1].params["like_boost"]?.value.numberValue == 2.0)

            for index in 0..<30 { _ = try await client.recommend("u\(index)", in: "duel") }
            // Impressions are queued, not awaited, by the request: wait (up to 5 s) for the flush.
            var results = try await client.get("/v1/experiments/duel/results", as: ExperimentResults.self)
            for _ in 0..<50 where results.arms.map(\.trials).reduce(0, +) != 30 {
                try await Task.sleep(for: .milliseconds(100))
                results = try await client.get("/v1/experiments/duel/results", as: ExperimentResults.self)
            }
            #expect(results.arms.map(\.trials).reduce(0, +) == 30)
            for row in results.arms {
                #expect(row.posteriorMean != nil && row.intervalLow != nil && row.intervalHigh != nil, "\(row.arm)")
                #expect(row.probabilityBest != nil && row.expectedLoss != nil, "\(row.arm)")
            }
            #expect(results.srmPValue != nil)

            let csv = try await client.execute(uri: "/v1/experiments/duel/results?format=csv", method: .get)
            #expect(csv.headers[.contentType]?.hasPrefix("text/csv") == true)
            let lines = String(buffer: csv.body).split(separator: "\r\n")
            #expect(lines.first?.hasPrefix("experiment,arm,algorithm,trials,successes,rate") == true)
            #expect(lines.count == 3)

            let weights = try await client.get("/v1/experiments/duel/weights", as: WeightHistory.self)
            #expect(weights.current == 1)
            #expect(weights.versions.first?.reason == .initial)
            #expect(weights.versions.first?.weights == [0.5, 0.5])
            #expect(weights.versions.first?.experimentID == "duel")
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
        try await TestServer.run(TestServer.parameterConfiguration(in: folder)) { client, _ in
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
            #expect(try pinned.decode(ExperimentSummary.self).status == "pinned")
            for index in 0..<20 {
                let served = try await client.recommend("u\(index)", in: "rail")
                #expect(served.arm == "personal" && !served.inExperiment)
            }
            let resumed = try await client.post("/v1/experiments/rail/resume", ["reason": "fixed", "actor": "ana"])
            #expect(try resumed.decode(ExperimentSummary.self).status == "running")
            let paused = try await client.post("/v1/experiments/rail/pause", ["reason": "holiday traffic", "actor": "bo"])
            #expect(try paused.decode(ExperimentSummary.self).status == "paused")
            for index in 0..<20 {
                let served = try await client.recommend("u\(index)", in: "rail")
                #expect(served.arm == "control" && !served.inExperiment)
            }
            // Restoring version 1 of a fixed split appends version 2 with its weights.
            let restored = try await client.post("/v1/experiments/rail/rollback", ["to_version": 1, "reason": "back to the start", "actor": "cy"])
            #expect(try restored.decode(ExperimentSummary.self).weightVersion == 2)

            let audit = try await client.get("/v1/experiments/rail/audit", as: AuditLog.self).entries
            #expect(audit.map { "\($0.action) \($0.actor) \($0.reason)" } == [
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
        try await TestServer.run(TestServer.parameterConfiguration(in: folder)) { client, _ in
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
            let first = try await client.post("/v1/admin/reload", ["reason": "new description"]).decode(ReloadReport.self)
            #expect(first.loaded.first { $0.id == "rail" }?.configVersion == 2)
            #expect(first.loaded.first { $0.id == "rail" }?.isNewVersion == true)
            #expect(first.loaded.first { $0.id == "duel" }?.isNewVersion == false)
            #expect(armory.registry.experiment("rail")?.weights.version == 1)

            // A broken file: refused with its problems located; version 2 keeps serving.
            try "id: rail\nobjective: ctr\nfallback: control\narms: []\n".write(
                to: experiments.appendingPathComponent("rail.yaml"), atomically: true, encoding: .utf8)
            try FileManager.default.removeItem(at: experiments.appendingPathComponent("duel.yaml"))
            let second = try await client.post("/v1/admin/reload", ["reason": "broken edit"]).decode(ReloadReport.self)
            let refused = try #require(second.refused.first)
            #expect(refused.file.hasSuffix("rail.yaml"))
            #expect(refused.keptServing == "rail")
            #expect(refused.problems.first?.contains("rail.yaml:") == true)
            #expect(second.removed == ["duel"])
            #expect(try await client.get("/v1/experiments/rail", as: ExperimentSummary.self).configVersion == 2)
            #expect(try await client.execute(uri: "/v1/experiments/duel", method: .get).status == .notFound)

            let audit = try await client.get("/v1/experiments/rail/audit", as: AuditLog.self)
            #expect(audit.entries.isEmpty)  // reloads are server-wide entries, not the experiment's
            let all = try await armory.store.auditEntries(experimentID: nil, limit: 10)
            #expect(all.map(\.reason) == ["broken edit", "new description"])
        }
    }
}
