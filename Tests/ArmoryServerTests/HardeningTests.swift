import ArmoryCore
import ArmoryServer
import ArmoryStorage
import Foundation
import HummingbirdTesting
import Testing

/// Requests and stored data that once stopped the server, or were accepted and then lost.
@Suite("One request or stored row cannot stop the server or lose other events")
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
                let served = try await client.getJSON("/v1/recommendations?user_id=user-\(index)&experiment=watch-time")
                decisions.append((try #require(served["decision_id"] as? String), try #require(served["arm"] as? String)))
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
            let results = try await client.getJSON("/v1/experiments/watch-time/results")
            let warnings = results["warnings"] as? [String] ?? []
            #expect(warnings.contains { $0.contains("arm '\(poisoned.arm)': its engagement totals are not finite numbers") }, "\(warnings)")
            let arms = try #require(results["arms"] as? [[String: Any]])
            let bad = try #require(arms.first { $0["arm"] as? String == poisoned.arm })
            #expect(bad["posterior_mean"] == nil && bad["probability_best"] == nil)
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
}
