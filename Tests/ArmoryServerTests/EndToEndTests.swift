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
                let served = try await client.recommend("user-\(user)", in: id)
                let arm = served.arm
                let reaction = audience.react(to: served.items.map(\.movieID), userIndex: user, using: &generator)
                clicksByArm[arm, default: (0, 0)].decisions += 1
                if let click = reaction.click {
                    clicksByArm[arm]!.clicks += 1
                    let response = try await client.post(events: [
                        EventInput(type: "click", decisionID: served.decisionID, movieID: click.movieID, position: click.position),
                    ])
                    #expect(response.status == .accepted)
                }
            }
            let rates = clicksByArm.mapValues { Double($0.clicks) / Double(max($0.decisions, 1)) }
            #expect(rates["personal", default: 0] > rates["popular", default: 1], "the personal lists fit tastes better: \(rates)")

            // 2. The worker moves the weights towards the arm that earns more clicks.
            func personalWeight() async throws -> Double {
                try await client.get("/v1/experiments/\(id)", as: ExperimentSummary.self).arms.first { $0.name == "personal" }?.weight ?? 0
            }
            var personal = try await personalWeight()
            for _ in 0..<60 where personal <= 0.6 {
                try await Task.sleep(for: .milliseconds(500))
                personal = try await personalWeight()
            }
            #expect(personal > 0.6, "the personal arm's weight: \(personal)")
            // ClickHouse counted what was sent: every decision is an impression, every click a
            // success. Impressions reach it in batches (queuedEventDelay), so the last ones may
            // still be on their way: wait until the totals stop short no more, up to 5 s.
            let sent = clicksByArm.values.reduce(0) { $0 + $1.decisions }
            var results = try await client.get("/v1/experiments/\(id)/results", as: ExperimentResults.self)
            for _ in 0..<50 where results.arms.map(\.trials).reduce(0, +) < sent {
                try await Task.sleep(for: .milliseconds(100))
                results = try await client.get("/v1/experiments/\(id)/results", as: ExperimentResults.self)
            }
            for (arm, counts) in clicksByArm {
                let row = try #require(results.arms.first { $0.arm == arm })
                #expect(row.trials == counts.decisions, "\(arm) trials")
                #expect(row.successes == counts.clicks, "\(arm) successes")
            }

            // 3. A second API replica on the same stores follows the weights within 5 s.
            var replicaConfiguration = configuration
            replicaConfiguration.role = .api
            replicaConfiguration.dataDirectory += "-replica"
            replicaConfiguration.demoCatalog = nil
            try await TestServer.run(replicaConfiguration) { replica, _ in
                // 4. Roll back to version 1: its weights, as a new version, served at once.
                let rolledBack = try await client.post("/v1/experiments/\(id)/rollback", ["to_version": 1, "reason": "bandit too eager", "actor": "ana"])
                    .decode(ExperimentSummary.self)
                let newVersion = rolledBack.weightVersion
                #expect(rolledBack.arms.map(\.weight) == [0.5, 0.5])
                let versions = try await armory.store.weightVersions(of: id)
                let restored = try #require(versions.first { $0.version == newVersion })
                #expect(restored.weights == versions[0].weights)
                #expect(restored.reason == .rollback && restored.actor == "ana" && restored.note == "bandit too eager")
                let clock = ContinuousClock()
                let start = clock.now
                var seen = 0
                while clock.now - start < .seconds(5) {
                    seen = try await replica.get("/v1/experiments/\(id)", as: ExperimentSummary.self).weightVersion
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
