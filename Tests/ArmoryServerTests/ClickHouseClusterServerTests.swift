import ArmoryCore
import ArmoryServer
import ArmoryStorage
import ArmoryTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Armory on the ClickHouse cluster `scripts/cluster.sh` starts (two shards of two replicas,
/// `ARMORY_CLICKHOUSE_CLUSTER`): the whole loop, and a shard away while traffic flows.
@Suite("Armory on a ClickHouse cluster", .serialized)
struct ClickHouseClusterServerTests {
    /// The embedded configuration in `folder`, with its metrics on a new database across the cluster.
    static func configuration(in folder: URL, database: String) throws -> ServerConfiguration {
        var configuration = TestServer.configuration(in: folder)
        configuration.metrics = .clickhouse(url: try TestServers.clusterNodeURL("s1r1") + "/" + database)
        configuration.clickHouseCluster = try TestServers.clusterName()
        return configuration
    }

    @Test("ARMORY_CLICKHOUSE_CLUSTER is read as given; a name that is not one, or a cluster without ARMORY_CLICKHOUSE_URL, is refused naming the variable")
    func settings() throws {
        let url = ["ARMORY_CLICKHOUSE_URL": "http://armory:secret@127.0.0.1:8123/armory"]
        let configuration = try ServerConfiguration(environment: url.merging(["ARMORY_CLICKHOUSE_CLUSTER": "events_2x2"]) { $1 })
        try configuration.validate()
        #expect(configuration.clickHouseCluster == "events_2x2")
        #expect(try ServerConfiguration(environment: url).clickHouseCluster == nil)
        for name in ["two words", "x`); DROP", "naïve"] {
            #expect { try ServerConfiguration(environment: url.merging(["ARMORY_CLICKHOUSE_CLUSTER": name]) { $1 }) } throws: {
                "\($0)".contains("ARMORY_CLICKHOUSE_CLUSTER")
            }
        }
        #expect { try ServerConfiguration(environment: ["ARMORY_CLICKHOUSE_CLUSTER": "events_2x2"]).validate() } throws: {
            "\($0)".contains("ARMORY_CLICKHOUSE_URL")
        }
    }

    @Test("the whole loop on PostgreSQL and the cluster: traffic moves the weights, results count every decision, rollback, a second replica")
    func loop() async throws {
        try await ServerOutageLock.cluster.whileRunning {
            let (databaseURL, databaseName) = try await TestServers.makePostgresDatabase()
            let clickHouse = try await TestServers.makeClusterDatabase()
            let id = "cluster-duel"
            let folder = try TestServer.makeFolder(["duel.yaml": TestServer.duel(id: id, minTrialsPerArm: 40)])
            defer { try? FileManager.default.removeItem(at: folder) }
            var configuration = try Self.configuration(in: folder, database: clickHouse.database)
            configuration.state = try StateStoreLocation(databaseURL)
            configuration.decisionSecret = "cluster-shared-decision-secret"
            do {
                try await EndToEndTests.runLoop(configuration, id: id, audience: DemoAudience(data: DemoData(movies: 400, users: 300, seed: 1)))
            } catch {
                try? await TestServers.dropPostgresDatabase(databaseName)
                await TestServers.dropClusterDatabase(clickHouse)
                throw error
            }
            try await TestServers.dropPostgresDatabase(databaseName)
            await TestServers.dropClusterDatabase(clickHouse)
        }
    }

    @Test("a whole shard away: events are still answered 202 (spooled), results answer 503, the updater keeps the weights and counts its failed runs; back, every event counts and the weights move")
    func shardAway() async throws {
        try await ServerOutageLock.cluster.exclusively {
            let clickHouse = try await TestServers.makeClusterDatabase()
            let id = "shard-duel"
            let folder = try TestServer.makeFolder(["duel.yaml": TestServer.duel(id: id, minTrialsPerArm: 20)])
            defer { try? FileManager.default.removeItem(at: folder) }
            let configuration = try Self.configuration(in: folder, database: clickHouse.database)
            do {
                try await TestServer.run(configuration) { client, armory in
                    let sent = try await TestServers.whileClusterServersStopped(["s2r1", "s2r2"]) {
                        try await Self.trafficWhileShardAway(client, armory, id: id)
                    }
                    try await Self.checkBack(client, armory, id: id, sent: sent)
                }
            } catch {
                await TestServers.dropClusterDatabase(clickHouse)
                throw error
            }
            await TestServers.dropClusterDatabase(clickHouse)
        }
    }

    /// Decisions for every user of a small audience, a click on each the personal arm made;
    /// what the cluster's absence leaves the service doing.
    static func trafficWhileShardAway(_ client: any TestClientProtocol, _ armory: ArmoryApplication, id: String) async throws
        -> [String: (decisions: Int, clicks: Int)] {
        var sent: [String: (decisions: Int, clicks: Int)] = [:]
        for user in 0..<120 {
            let served = try await client.recommend("user-\(user)", in: id)
            sent[served.arm, default: (0, 0)].decisions += 1
            guard served.arm == "personal", let first = served.items.first else { continue }
            let response = try await client.post(events: [EventInput(type: "click", decisionID: served.decisionID, movieID: first.movieID, position: 0)])
            #expect(response.status == .accepted, "a click is acknowledged with a shard away: \(String(buffer: response.body))")
            sent[served.arm]!.clicks += 1
        }
        // Several of the updater's cycles (every 200 ms, the experiment due every second).
        try await Task.sleep(for: .seconds(3))
        #expect(armory.registry.experiment(id)?.weights.version == 1, "no weights from part of the totals")
        let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
        #expect(metrics.contains(#"armory_updater_runs_total{outcome="failed"}"#), "the failed runs are counted")
        let results = try await client.execute(uri: "/v1/experiments/\(id)/results", method: .get)
        #expect(results.status == .serviceUnavailable && results.errorCode == "metrics_unavailable", "\(String(buffer: results.body))")
        #expect((armory.writer?.statistics.spooled ?? 0) > 0, "the events wait in the spool")
        return sent
    }

    /// Once the shard is back: results count every decision and click sent, and the weights move.
    static func checkBack(_ client: any TestClientProtocol, _ armory: ArmoryApplication, id: String,
                          sent: [String: (decisions: Int, clicks: Int)]) async throws {
        let total = sent.values.reduce(0) { $0 + $1.decisions }
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(60)
        var results: ExperimentResults?
        repeat {
            try await Task.sleep(for: .milliseconds(250))
            let response = try await client.execute(uri: "/v1/experiments/\(id)/results", method: .get)
            if response.status == .ok { results = try response.decode(ExperimentResults.self) }
        } while (results?.arms.map(\.trials).reduce(0, +) ?? 0) < total && clock.now < deadline
        for (arm, counts) in sent {
            let row = try #require(results?.arms.first { $0.arm == arm })
            #expect(row.trials == counts.decisions && row.successes == counts.clicks, "\(arm): \(row.trials) \(row.successes), sent \(counts)")
        }
        while (armory.registry.experiment(id)?.weights.version ?? 0) < 2, clock.now < deadline { try await Task.sleep(for: .milliseconds(250)) }
        let weights = try #require(armory.registry.experiment(id)?.weights)
        #expect(weights.version >= 2, "the weights moved once the shard was back")
        #expect(weights.weights[1] > weights.weights[0], "towards the personal arm, which got every click: \(weights.weights)")
    }
}
