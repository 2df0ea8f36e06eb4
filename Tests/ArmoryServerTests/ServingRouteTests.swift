import ArmoryCore
import ArmoryServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// `GET /v1/recommendations` and `POST /v1/events` on an embedded Armory, in process.
@Suite("Routes: recommendations and events")
struct ServingRouteTests {
    @Test("a recommendation names its decision, arm and algorithm, and the arm is the hash's")
    func recommendation() async throws {
        let folder = try TestServer.makeFolder(["duel.yaml": TestServer.duel, "rail.yaml": TestServer.rail])
        defer { try? FileManager.default.removeItem(at: folder) }
        try await TestServer.run(TestServer.configuration(in: folder)) { client, armory in
            let answer = try await client.recommend("user-7", in: "rail", limit: 4)
            #expect(answer.items.count == 4)
            #expect(answer.items.allSatisfy { !$0.title.isEmpty && $0.movieID > 0 })
            #expect(answer.decisionID.hasPrefix("d3."))
            #expect(answer.experiment == "rail")

            // Independently: the arm GrowthBook's hashing gives for the weights and coverage in force.
            let rail = try #require(armory.registry.experiment("rail"))
            let assigner = Assigner(seed: "rail", weights: [0.5, 0.5], coverage: 0.5)
            var counted = 0
            for index in 0..<60 {
                let user = "user-\(index)"
                let served = try await client.recommend(user, in: "rail")
                let expected: (arm: String, counted: Bool) = switch assigner.assign(user) {
                case .arm(let arm): (rail.experiment.arms[arm].name, true)
                case .fallback: ("control", false)
                }
                #expect(served.arm == expected.arm, "user \(user)")
                #expect(served.inExperiment == expected.counted, "user \(user)")
                #expect(served.algorithm == (expected.arm == "control" ? "popularity" : "history"))
                if expected.counted { counted += 1 }
            }
            // Coverage 0.5 holds about half out; 60 users make both kinds near-certain.
            #expect(counted > 10 && counted < 50)
        }
    }

    @Test("bad recommendation requests are refused, naming the parameter", arguments: [
        ("experiment=rail", 400, "invalid_user_id"),
        ("user_id=u1", 400, "invalid_experiment"),
        ("user_id=u1&experiment=rail&limit=0", 400, "invalid_limit"),
        ("user_id=u1&experiment=rail&limit=101", 400, "invalid_limit"),
        ("user_id=u1&experiment=rail&limit=ten", 400, "invalid_limit"),
        ("user_id=u1&experiment=nope", 404, "unknown_experiment"),
    ])
    func badRecommendation(query: String, status: Int, code: String) async throws {
        let folder = try TestServer.makeFolder(["rail.yaml": TestServer.rail])
        defer { try? FileManager.default.removeItem(at: folder) }
        try await TestServer.run(TestServer.parameterConfiguration(in: folder)) { client, _ in
            let response = try await client.execute(uri: "/v1/recommendations?\(query)", method: .get)
            #expect(Int(response.status.code) == status)
            #expect(response.errorCode == code)
            #expect(response.errorMessage?.isEmpty == false)
        }
    }

    @Test("events are accepted once durable and counted in the results; a bad batch is refused whole")
    func events() async throws {
        let folder = try TestServer.makeFolder(["duel.yaml": TestServer.duel])
        defer { try? FileManager.default.removeItem(at: folder) }
        try await TestServer.run(TestServer.configuration(in: folder)) { client, _ in
            var decisions: [(id: String, arm: String, movie: Int)] = []
            for index in 0..<20 {
                let served = try await client.recommend("user-\(index)", in: "duel")
                decisions.append((served.decisionID, served.arm, try #require(served.items.first?.movieID)))
            }
            // One click each on the first 8 decisions (a batch), a second click on decision 0 (still one success).
            let batch = decisions.prefix(8).map { EventInput(type: "click", decisionID: $0.id, movieID: $0.movie, position: 0) }
            let accepted = try await client.post(events: batch)
            #expect(accepted.status == .accepted)
            #expect(try accepted.decode([String: Int].self) == ["accepted": 8])
            let again = try await client.post("/v1/events", ["type": "click", "decision_id": decisions[0].id, "movie_id": decisions[0].movie], token: nil)
            #expect(again.status == .accepted)

            // A batch with one bad event stores none of it.
            let refused = try await client.post(events: [
                EventInput(type: "click", decisionID: decisions[10].id, movieID: decisions[10].movie),
                EventInput(type: "click", decisionID: "d1.forged.signature", movieID: 1),
            ])
            #expect(refused.status == .badRequest)
            #expect(refused.errorCode == "unknown_decision")
            #expect(refused.errorMessage?.hasPrefix("events[1]:") == true)

            // A click on a movie the decision did not serve, or at another position, is refused by name.
            let served = try await client.recommend("user-3", in: "duel", limit: 3)
            let items = served.items.map(\.movieID)
            let elsewhere = try await client.post("/v1/events", ["type": "click", "decision_id": served.decisionID, "movie_id": 99_999], token: nil)
            #expect(elsewhere.status == .badRequest && elsewhere.errorCode == "not_served")
            #expect(elsewhere.errorMessage == "movie_id 99999 was not in the decision's list (\(items.map(String.init).joined(separator: ", ")))")
            let moved = try await client.post("/v1/events", ["type": "click", "decision_id": served.decisionID, "movie_id": items[2], "position": 0],
                                              token: nil)
            #expect(moved.errorCode == "not_served")
            #expect(moved.errorMessage == "position 0 does not hold movie_id \(items[2]) in the decision's list: it holds \(items[0]); "
                + "movie \(items[2]) is at position 2")
            decisions.append((served.decisionID, served.arm, items[0]))

            // Impressions are queued, not awaited, by the requests: wait (up to 5 s) for the last flush.
            var results = try await client.get("/v1/experiments/duel/results", as: ExperimentResults.self)
            for _ in 0..<50 where results.arms.map(\.trials).reduce(0, +) != decisions.count {
                try await Task.sleep(for: .milliseconds(100))
                results = try await client.get("/v1/experiments/duel/results", as: ExperimentResults.self)
            }
            for arm in ["popular", "personal"] {
                let row = try #require(results.arms.first { $0.arm == arm })
                #expect(row.trials == decisions.filter { $0.arm == arm }.count, "\(arm) trials")
                #expect(row.successes == decisions.prefix(8).filter { $0.arm == arm }.count, "\(arm) successes")
            }
        }
    }

    @Test("a click on a decision that does not count (outside coverage, or while pinned) is accepted and counted nowhere")
    func uncountedClicks() async throws {
        let folder = try TestServer.makeFolder(["rail.yaml": TestServer.rail])
        defer { try? FileManager.default.removeItem(at: folder) }
        try await TestServer.run(TestServer.configuration(in: folder)) { client, _ in
            var counted = 0
            for index in 0..<40 {
                let served = try await client.recommend("user-\(index)", in: "rail")
                if served.inExperiment { counted += 1 }
                let click = EventInput(type: "click", decisionID: served.decisionID, movieID: try #require(served.items.first?.movieID))
                #expect(try await client.post(events: [click]).status == .accepted)
            }
            _ = try await client.post("/v1/experiments/rail/rollback", ["to_arm": "control", "reason": "pinned for the test"])
            for index in 40..<50 {
                let served = try await client.recommend("user-\(index)", in: "rail")
                #expect(!served.inExperiment)
                let click = EventInput(type: "click", decisionID: served.decisionID, movieID: try #require(served.items.first?.movieID))
                #expect(try await client.post(events: [click]).status == .accepted)
            }
            // Coverage 0.5: some of the 40 users are held out; the clicks are written at once.
            #expect(counted > 0 && counted < 40)
            let results = try await client.get("/v1/experiments/rail/results", as: ExperimentResults.self)
            #expect(results.arms.map(\.trials).reduce(0, +) == counted)
            #expect(results.arms.map(\.successes).reduce(0, +) == counted)
        }
    }

    @Test("malformed events are refused with the field named", arguments: [
        (#"{"type": "impression", "decision_id": "x"}"#, "invalid_type"),
        (#"{"type": "click", "movie_id": 3}"#, "missing_field"),
        (#"{"type": "click", "decision_id": "d1.abc.def", "movie_id": 3}"#, "unknown_decision"),
        (#"{"type": "view", "user_id": "u1"}"#, "missing_field"),
        (#"{"movie_id": 3}"#, "invalid_json"),
        (#"{"type": 5}"#, "invalid_json"),
        (#"[]"#, "invalid_events"),
        (#"not json"#, "invalid_json"),
        (#""#, "invalid_json"),
    ])
    func badEvent(body: String, code: String) async throws {
        let folder = try TestServer.makeFolder(["rail.yaml": TestServer.rail])
        defer { try? FileManager.default.removeItem(at: folder) }
        try await TestServer.run(TestServer.parameterConfiguration(in: folder)) { client, _ in
            let response = try await client.post("/v1/events", raw: body)
            #expect(response.status == .badRequest)
            #expect(response.errorCode == code, "\(response.errorMessage ?? "")")
        }
    }

    @Test("a batch over 1000 events is refused")
    func oversizedBatch() async throws {
        let folder = try TestServer.makeFolder(["rail.yaml": TestServer.rail])
        defer { try? FileManager.default.removeItem(at: folder) }
        try await TestServer.run(TestServer.parameterConfiguration(in: folder)) { client, _ in
            let batch = "[" + Array(repeating: #"{"type": "view", "user_id": "u1", "movie_id": 1}"#, count: 1_001).joined(separator: ",") + "]"
            let response = try await client.post("/v1/events", raw: batch)
            #expect(response.status == .badRequest)
            #expect(response.errorCode == "invalid_events")
        }
    }
}
