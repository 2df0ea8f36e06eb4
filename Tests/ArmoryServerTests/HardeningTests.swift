import ArmoryCore
import ArmoryServer
import ArmoryStorage
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Requests and stored data that once stopped the server, or were accepted and then lost.
// One case at a time: each starts a whole server, and many at once starve other suites' timers.
@Suite("One request or stored row cannot stop the server or lose other events", .serialized)
struct HardeningTests {
    /// An engagement bandit that updates every second.
    static let watchTime = TestServer.duel(id: "watch-time", minTrialsPerArm: 2, objective: "engagement")

    @Test("an engagement value beyond the limit is refused; one already stored is reported, never trapped on, also at the next start")
    func engagementOverflow() async throws {
        let folder = try TestServer.makeFolder(["watch-time.yaml": Self.watchTime])
        defer { try? FileManager.default.removeItem(at: folder) }
        let configuration = TestServer.configuration(in: folder)
        try await TestServer.run(configuration) { client, armory in
            var decisions: [(id: String, arm: String)] = []
            for index in 0..<40 {
                let served = try await client.recommend("user-\(index)", in: "watch-time")
                decisions.append((served.decisionID, served.arm))
            }
            let refused = try await client.post("/v1/events", raw: #"{"type":"engagement","decision_id":"\#(decisions[0].id)","value":1e200}"#)
            #expect(refused.status == .badRequest && refused.errorCode == "invalid_value")
            #expect(refused.errorMessage?.contains("value must be a number from 0 to 1000000000") == true, "\(refused.errorMessage ?? "")")
            for (index, decision) in decisions.enumerated() {
                let answer = try await client.post("/v1/events", raw: #"{"type":"engagement","decision_id":"\#(decision.id)","value":\#(index)}"#)
                #expect(answer.status == .accepted)
            }
            // What an earlier Armory accepted: a value whose square is not a finite number.
            let signer = armory.signer
            let poisoned = try #require(signer.decision(from: decisions[1].id))
            try await armory.metricsStore.insert([Event(
                eventID: "overflow", type: .engagement, time: Date(), decisionID: decisions[1].id, experiment: "watch-time",
                arm: poisoned.arm, configVersion: poisoned.configVersion, weightVersion: poisoned.weightVersion,
                decisionTime: poisoned.time, userID: poisoned.userID, value: 1e200)])
            // Several update cycles, and the results read, with the stored row.
            try await Task.sleep(for: .seconds(2.5))
            let results = try await client.get("/v1/experiments/watch-time/results", as: ExperimentResults.self)
            #expect(results.warnings.contains { $0.contains("arm '\(poisoned.arm)': its engagement totals are not finite numbers") },
                    "\(results.warnings)")
            let bad = try #require(results.arms.first { $0.arm == poisoned.arm })
            #expect(bad.posteriorMean == nil && bad.probabilityBest == nil)
            let weights = try await client.execute(uri: "/v1/experiments/watch-time/weights", method: .get)
            #expect(weights.status == .ok)
        }
        // The same data at the next start: it serves.
        try await TestServer.run(configuration) { client, _ in
            let served = try await client.execute(uri: "/v1/recommendations?user_id=user-1&experiment=watch-time", method: .get)
            #expect(served.status == .ok)
            let results = try await client.execute(uri: "/v1/experiments/watch-time/results", method: .get)
            #expect(results.status == .ok)
        }
    }

    @Test("ids the stores or the decision id cannot carry are refused at the door, naming the problem", arguments: [
        ("/v1/recommendations?experiment=watch-time&user_id=a%0Ab", "control character (U+000A)"),
        ("/v1/recommendations?experiment=watch-time&user_id=a%00b", "control character (U+0000)"),
        ("/v1/recommendations?experiment=watch-time&user_id=" + String(repeating: "x", count: 257), "257 bytes"),
    ])
    func badUserIDs(uri: String, message: String) async throws {
        let folder = try TestServer.makeFolder(["watch-time.yaml": Self.watchTime])
        defer { try? FileManager.default.removeItem(at: folder) }
        try await TestServer.run(TestServer.configuration(in: folder)) { client, _ in
            let response = try await client.execute(uri: uri, method: .get)
            #expect(response.status == .badRequest && response.errorCode == "invalid_user_id")
            #expect(response.errorMessage?.contains(message) == true, "\(response.errorMessage ?? "")")
        }
    }

    @Test("events with unknown fields, ids with control characters, or times outside the window are refused, naming them", arguments: [
        (#"{"type":"view","user_id":"u1","movie_id":1,"vaule":3}"#, "invalid_json", "unknown field 'vaule'"),
        (#"[{"type":"view","user_id":"u1","movie_id":1},{"type":"like","user_id":"u1","movie_id":1,"tiem":1}]"#,
         "invalid_json", "[1]: unknown field 'tiem'"),
        (#"{"type":"view","user_id":"a\u0000b","movie_id":1}"#, "invalid_user_id", "control character (U+0000)"),
        (#"{"type":"view","user_id":"a\nb","movie_id":1}"#, "invalid_user_id", "control character (U+000A)"),
        (#"{"type":"like","user_id":"u1","movie_id":1,"time":-10000000000000}"#, "invalid_time", "days in the past"),
        (#"{"type":"like","user_id":"u1","movie_id":1,"time":-1e300}"#, "invalid_time", "days in the past"),
        (#"{"type":"view","user_id":"u1","movie_id":99999999999}"#, "invalid_value", "movie_id must be from 1 to 2147483647"),
    ])
    func badEvents(body: String, code: String, message: String) async throws {
        let folder = try TestServer.makeFolder(["watch-time.yaml": Self.watchTime])
        defer { try? FileManager.default.removeItem(at: folder) }
        try await TestServer.run(TestServer.configuration(in: folder)) { client, _ in
            let response = try await client.post("/v1/events", raw: body)
            #expect(response.status == .badRequest && response.errorCode == code, "\(response.errorMessage ?? "")")
            #expect(response.errorMessage?.contains(message) == true, "\(response.errorMessage ?? "")")
        }
    }

    @Test("a file broken when the server starts serves its last version from the state store, and the reload names the file")
    func brokenAtStart() async throws {
        let folder = try TestServer.makeFolder(["rail.yaml": TestServer.rail])
        defer { try? FileManager.default.removeItem(at: folder) }
        let configuration = TestServer.configuration(in: folder)
        try await TestServer.run(configuration) { client, _ in
            let first = try await client.get("/v1/experiments/rail", as: ExperimentSummary.self)
            #expect(first.configVersion == 1)
        }
        try "id: rail\nobjective: ctr\narms: [\n".write(to: folder.appendingPathComponent("experiments/rail.yaml"), atomically: true, encoding: .utf8)
        try await TestServer.run(configuration) { client, _ in
            #expect(try await client.get("/v1/experiments/rail", as: ExperimentSummary.self).configVersion == 1)
            let served = try await client.execute(uri: "/v1/recommendations?user_id=u1&experiment=rail", method: .get)
            #expect(served.status == .ok)
            let report = try await client.post("/v1/admin/reload", ["reason": "look at the broken file"]).decode(ReloadReport.self)
            let refused = try #require(report.refused.first)
            #expect(refused.file.hasSuffix("rail.yaml"))
            #expect(refused.keptServing == "rail")
        }
    }

    @Test("a link out of the experiments folder is not followed, and no file's contents are quoted unless parsed as an experiment")
    func linksOutOfTheFolder() async throws {
        let folder = try TestServer.makeFolder(["rail.yaml": TestServer.rail])
        defer { try? FileManager.default.removeItem(at: folder) }
        let secret = folder.appendingPathComponent("secret.txt")
        try "hunter2-the-password\n".write(to: secret, atomically: true, encoding: .utf8)
        let experiments = folder.appendingPathComponent("experiments")
        try FileManager.default.createSymbolicLink(atPath: experiments.appendingPathComponent("outside.yaml").path, withDestinationPath: secret.path)
        // A file of one scalar is refused without quoting it.
        try "another-secret-value\n".write(to: experiments.appendingPathComponent("scalar.yaml"), atomically: true, encoding: .utf8)
        try await TestServer.run(TestServer.configuration(in: folder)) { client, _ in
            let answer = try await client.execute(uri: "/v1/admin/reload", method: .post,
                                                  headers: [.authorization: "Bearer \(TestServer.adminToken)", .contentType: "application/json"],
                                                  body: ByteBuffer(string: #"{"reason":"links"}"#))
            let text = String(buffer: answer.body)
            #expect(!text.contains("hunter2") && !text.contains("another-secret"), "\(text)")
            let refused = try answer.decode(ReloadReport.self).refused
            let outside = try #require(refused.first { $0.file.hasSuffix("outside.yaml") })
            #expect(outside.problems.first?.contains("symbolic link to a file outside") == true)
            let scalar = try #require(refused.first { $0.file.hasSuffix("scalar.yaml") })
            #expect(scalar.problems.first?.hasSuffix("must be a mapping of keys to values, not a string") == true, "\(scalar)")
        }
    }
}
