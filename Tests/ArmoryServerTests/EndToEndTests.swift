import ArmoryCore
import ArmoryServer
import ArmoryStorage
import ArmoryTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The whole loop on the real PostgreSQL and ClickHouse: simulated users, Thompson updates,
/// rollback, a second API replica, and the audit log.
@Suite("End to end on PostgreSQL and ClickHouse")
struct EndToEndTests {
    @Test("demo traffic moves the weights to the arm that earns more clicks; rollback to version 1 restores them; replicas follow; the audit log has it all")
    func loop() async throws {
        try await ServerOutageLock.clickHouse.whileRunning {
            let (databaseURL, databaseName) = try await TestServers.makePostgresDatabase()
            let clickHouse = try await TestServers.makeClickHouseDatabase()
            let id = "e2e-duel"
            let folder = try TestServer.makeFolder(["duel.yaml": TestServer.duel(id: id, minTrialsPerArm: 40)])
            defer { try? FileManager.default.removeItem(at: folder) }
            var configuration = TestServer.configuration(in: folder)
            configuration.state = try StateStoreLocation(databaseURL)
            configuration.metrics = .clickhouse(url: try TestServers.clickHouseURL(database: clickHouse.database))
            configuration.decisionSecret = "e2e-shared-decision-secret"
            let demo = DemoData(movies: 400, users: 300, seed: 1)
            do {
                try await Self.runLoop(configuration, id: id, audience: DemoAudience(data: demo))
            } catch {
                try? await TestServers.dropPostgresDatabase(databaseName)
                await TestServers.dropClickHouseDatabase(clickHouse)
                throw error
            }
            try await TestServers.dropPostgresDatabase(databaseName)
            await TestServers.dropClickHouseDatabase(clickHouse)
        }
    }

    static func runLoop(_ configuration: ServerConfiguration, id: String, audience: DemoAudience) async throws {
        try await TestServer.run(configuration) { client, armory in
            // 1. Simulated users: nothing here knows which arm is which.
            var generator = Xoshiro256StarStar(seed: 42)
            var clicksByArm: [String: (decisions: Int, clicks: Int)] = [:]
            for _ in 0..<1_200 {
                let user = Int(generator.nextUniform() * Double(audience.data.userCount))
                let served = try await client.getJSON("/v1/recommendations?user_id=user-\(user)&experiment=\(id)")
                let items = try #require(served["items"] as? [[String: Any]]).compactMap { $0["movie_id"] as? Int }
                let arm = try #require(served["arm"] as? String)
                let reaction = audience.react(to: items, userIndex: user, using: &generator)
                clicksByArm[arm, default: (0, 0)].decisions += 1
                if let click = reaction.click {
                    clicksByArm[arm]!.clicks += 1
                    let response = try await client.post("/v1/events", [
                        "type": "click", "decision_id": served["decision_id"] as! String, "movie_id": click.movieID, "position": click.position,
                    ], token: nil)
                    #expect(response.status == .accepted)
                }
            }
            let rates = clicksByArm.mapValues { Double($0.clicks) / Double(max($0.decisions, 1)) }
            #expect(rates["personal", default: 0] > rates["popular", default: 1], "the personal lists fit tastes better: \(rates)")

            // 2. The worker moves the weights towards the arm that earns more clicks.
            var current: [String: Any] = [:]
            for _ in 0..<60 {
                current = try await client.getJSON("/v1/experiments/\(id)")
                let arms = try #require(current["arms"] as? [[String: Any]])
                if let personal = arms.first(where: { $0["name"] as? String == "personal" })?["weight"] as? Double, personal > 0.6 { break }
                try await Task.sleep(for: .milliseconds(500))
            }
            let moved = try #require(current["arms"] as? [[String: Any]])
            #expect((moved.first { $0["name"] as? String == "personal" }?["weight"] as? Double ?? 0) > 0.6, "weights: \(moved)")
            // ClickHouse counted what was sent: every decision is an impression, every click a
            // success. Impressions reach it in batches (queuedEventDelay), so the last ones may
            // still be on their way: wait until the totals stop short no more, up to 5 s.
            let sent = clicksByArm.values.reduce(0) { $0 + $1.decisions }
            var resultArms: [[String: Any]] = []
            for _ in 0..<50 {
                let results = try await client.getJSON("/v1/experiments/\(id)/results")
                resultArms = try #require(results["arms"] as? [[String: Any]])
                if resultArms.reduce(0, { $0 + ($1["trials"] as? Int ?? 0) }) >= sent { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            for (arm, counts) in clicksByArm {
                let row = try #require(resultArms.first { $0["arm"] as? String == arm })
                #expect(row["trials"] as? Int == counts.decisions, "\(arm) trials")
                #expect(row["successes"] as? Int == counts.clicks, "\(arm) successes")
            }

            // 3. A second API replica on the same stores follows the weights within 5 s.
            var replicaConfiguration = configuration
            replicaConfiguration.role = .api
            replicaConfiguration.dataDirectory += "-replica"
            replicaConfiguration.demoCatalog = nil
            try await TestServer.run(replicaConfiguration) { replica, _ in
                // 4. Roll back to version 1: its weights, as a new version, served at once.
                let rolledBack = try await client.post("/v1/experiments/\(id)/rollback",
                                                       ["to_version": 1, "reason": "bandit too eager", "actor": "ana"]).json()
                let newVersion = try #require(rolledBack["weight_version"] as? Int)
                #expect((rolledBack["arms"] as? [[String: Any]])?.compactMap { $0["weight"] as? Double } == [0.5, 0.5])
                let versions = try await armory.store.weightVersions(of: id)
                let restored = try #require(versions.first { $0.version == newVersion })
                #expect(restored.weights == versions[0].weights)
                #expect(restored.reason == .rollback && restored.actor == "ana" && restored.note == "bandit too eager")
                let clock = ContinuousClock()
                let start = clock.now
                var seen = 0
                while clock.now - start < .seconds(5) {
                    seen = try await replica.getJSON("/v1/experiments/\(id)")["weight_version"] as? Int ?? 0
                    if seen >= newVersion { break }
                    try await Task.sleep(for: .milliseconds(100))
                }
                #expect(seen >= newVersion, "the replica saw version \(newVersion) within 5 s")

                // 5. Pause and resume, through the replica this time.
                #expect(try await replica.post("/v1/experiments/\(id)/pause", ["reason": "investigating", "actor": "bo"]).status == .ok)
                #expect(try await replica.post("/v1/experiments/\(id)/resume", ["reason": "all clear", "actor": "bo"]).status == .ok)
            }

            // 6. The audit log holds each action with its actor and reason.
            let audit = try await armory.store.auditEntries(experimentID: id, limit: 10)
            #expect(audit.map { "\($0.action)|\($0.actor)|\($0.reason)" } == [
                "resume|bo|all clear", "pause|bo|investigating", "rollback|ana|bandit too eager",
            ])
            #expect(audit.last?.detail.hasPrefix("to_version=1") == true)
        }
    }
}
