import ArmoryCore
import ArmoryStorage
import ArmoryTestSupport
import Foundation
import Logging
import Testing

/// The metrics store across the ClickHouse cluster `scripts/cluster.sh` starts (two shards of
/// two replicas): the same totals as one server, replicas stopped and returning, a whole shard
/// away. (The tests of ``MetricsStoreTests`` given every ``MetricsKind`` run on the cluster too.)
@Suite("ClickHouse cluster: the totals of one server, replicas that stop and return, a shard away", .serialized)
struct ClickHouseClusterTests {
    static let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    /// Each server's own rows in `events_local`.
    static func localRows(_ node: String, _ database: String) async throws -> Int {
        let text = try await TestServers.clusterNode(node, database: database).execute("SELECT count() FROM events_local FORMAT TSV")
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    /// Waits (up to 60 s) until each shard's second replica holds what its first does, and
    /// returns the rows per server.
    static func replicated(_ database: String) async throws -> [String: Int] {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(60)
        var rows: [String: Int] = [:]
        repeat {
            for node in ["s1r1", "s1r2", "s2r1", "s2r2"] { rows[node] = try await localRows(node, database) }
            if rows["s1r1"] == rows["s1r2"], rows["s2r1"] == rows["s2r2"] { return rows }
            try await Task.sleep(for: .milliseconds(200))
        } while clock.now < deadline
        return rows
    }

    /// The totals ``TestMetrics/traffic(experiment:arms:decisions:seed:start:)`` expects, as a
    /// read returns them: by arm, under the weight version its decisions were made with.
    static func expected(_ totals: [String: ArmAggregate]) -> [ArmAggregate] {
        totals.values.sorted { $0.arm < $1.arm }.map { var total = $0; total.weightVersion = 1; return total }
    }

    /// A server's own `events_local` rows, summed by a hash of each whole row.
    static func checksum(_ node: String, _ database: String) async throws -> String {
        try await TestServers.clusterNode(node, database: database).execute("""
            SELECT count(), sum(cityHash64(time, event_id, decision_id, decision_time, experiment, arm, type, value, user_id, items))
            FROM events_local FORMAT TSV
            """)
    }

    static func close(_ a: [ArmAggregate], _ b: [ArmAggregate]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { x, y in
            var x = x, y = y
            guard abs(x.engagementSum - y.engagementSum) < 1e-6, abs(x.engagementSumOfSquares - y.engagementSumOfSquares) < 1e-3 else { return false }
            (x.engagementSum, x.engagementSumOfSquares, y.engagementSum, y.engagementSumOfSquares) = (0, 0, 0, 0)
            return x == y
        }
    }

    @Test("every read of the same events gives one server's answer: totals, hourly and 10-minute series, first assignments, model splits; the rows are spread over both shards and copied to both replicas")
    func sameAsOneServer() async throws {
        try await ServerOutageLock.cluster.whileRunning {
            try await ServerOutageLock.clickHouse.whileRunning {
                let singleClient = try await TestMetrics.freshClickHouse()
                do {
                    try await Self.compare(ClickHouseMetricsStore(client: singleClient))
                } catch {
                    await TestMetrics.drop(singleClient)
                    throw error
                }
                await TestMetrics.drop(singleClient)
            }
        }
    }

    /// The same traffic into `server` and a new cluster store, and every read compared.
    static func compare(_ server: ClickHouseMetricsStore) async throws {
        try await server.prepare()
        try await TestMetrics.withClusterStore { cluster in
            // Two hours back to half an hour ahead: closed hours, the open one, and a partial first.
            let start = Date().addingTimeInterval(-5_400)
            let traffic = TestMetrics.traffic(experiment: "spread", arms: ["a", "b", "c"], decisions: 4_000, seed: 21, start: start)
            for part in traffic.events.chunked(into: 3_000) {
                try await server.insert(Array(part))
                try await cluster.insert(Array(part))
            }
            try await TestServers.syncClusterReplicas(cluster.client.database)
            let phase = ExperimentPhase(experiment: "spread", since: start.addingTimeInterval(600))
            try await compareReads(server, cluster, phase)

            let rows = try await Self.replicated(cluster.client.database)
            #expect(rows["s1r1"]! > 0 && rows["s2r1"]! > 0, "both shards hold rows: \(rows)")
            #expect(rows["s1r1"]! + rows["s2r1"]! == traffic.events.count, "each event on one shard: \(rows)")
            #expect(rows["s1r1"] == rows["s1r2"] && rows["s2r1"] == rows["s2r2"], "each replica has its shard's rows: \(rows)")

            // Past the settling time, a read takes the stored hourly totals as they are
            // (totals made in the second of the last insert are made again: one later).
            let settled = ClickHouseMetricsStore(client: cluster.client, cluster: cluster.cluster, settlingSeconds: 0)
            try await Task.sleep(for: .milliseconds(1_100))
            _ = try await cluster.periodAggregates([phase])
            let stored = try await Self.newestTotals(cluster)
            #expect(Self.close(try await settled.periodAggregates([phase]), try await server.periodAggregates([phase])))
            #expect(try await Self.newestTotals(cluster) == stored, "no hour totalled again")
        }
    }

    /// Totals (twice: the first read stores the closed hours' totals), series, first assignments
    /// and model splits, compared.
    static func compareReads(_ server: ClickHouseMetricsStore, _ cluster: ClickHouseMetricsStore, _ phase: ExperimentPhase) async throws {
        #expect(Self.close(try await cluster.periodAggregates([phase]), try await server.periodAggregates([phase])))
        let totals = try await cluster.periodAggregates([phase])
        #expect(Self.close(totals, try await server.periodAggregates([phase])))
        #expect(totals.map(\.trials).reduce(0, +) > 3_000)
        let until = Date()
        for width in [3_600, 600] {
            let mine = try await cluster.timeSeries(phase, bucketSeconds: width, until: until)
            let theirs = try await server.timeSeries(phase, bucketSeconds: width, until: until)
            #expect(mine.map(\.start) == theirs.map(\.start), "\(width) s buckets")
            #expect(Self.close(mine.map(\.totals), theirs.map(\.totals)), "\(width) s buckets")
        }
        #expect(try await cluster.firstAssignments([phase]) == (try await server.firstAssignments([phase])))
        let models = try await cluster.modelAggregates(experiment: phase.experiment, since: phase.since)
        let serverModels = try await server.modelAggregates(experiment: phase.experiment, since: phase.since)
        #expect(models.count == serverModels.count && zip(models, serverModels).allSatisfy { mine, theirs in
            mine.arm == theirs.arm && mine.model == theirs.model && mine.trials == theirs.trials && mine.clicked == theirs.clicked
                && mine.converted == theirs.converted && abs(mine.engagementSum - theirs.engagementSum) < 1e-6
        })
    }

    /// The version of the newest hourly totals across the cluster.
    static func newestTotals(_ store: ClickHouseMetricsStore) async throws -> String {
        try await store.client.execute("SELECT max(version) FROM arm_period_hours FORMAT TSV")
    }

    @Test("a cluster the server does not know is refused at prepare, by name")
    func unknownCluster() async throws {
        try await ServerOutageLock.cluster.whileRunning {
            let client = try await TestServers.makeClusterDatabase()
            await #expect { try await ClickHouseMetricsStore(client: client, cluster: "no_such_cluster").prepare() } throws: {
                "\($0)".contains("no cluster named 'no_such_cluster'")
            }
            await TestServers.dropClusterDatabase(client)
        }
    }

    @Test("a database made for one server is refused on the cluster, and one made for the cluster without it, each saying what to do")
    func wrongShape() async throws {
        try await ServerOutageLock.cluster.whileRunning {
            let client = try await TestServers.makeClusterDatabase()
            let cluster = try TestServers.clusterName()
            // One server's tables on s1r1 alone.
            let name = "armory_test_\(UUID().uuidString.prefix(8).lowercased())"
            try await TestServers.clusterNode("s1r1", database: "default").execute("CREATE DATABASE \(name)")
            let single = try TestServers.clusterNode("s1r1", database: name)
            try await ClickHouseMetricsStore(client: single).prepare()
            await #expect { try await ClickHouseMetricsStore(client: single, cluster: cluster).prepare() } throws: {
                "\($0)".contains("holds one server's tables") && "\($0)".contains("use a new database")
            }
            try await ClickHouseMetricsStore(client: client, cluster: cluster).prepare()
            await #expect { try await ClickHouseMetricsStore(client: client).prepare() } throws: {
                "\($0)".contains("set ARMORY_CLICKHOUSE_CLUSTER")
            }
            _ = try? await single.execute("DROP DATABASE IF EXISTS \(single.database)")
            await TestServers.dropClusterDatabase(client)
        }
    }

    @Test("one replica of each shard stopped: writes and reads go on, and each returns with every row written while it was away")
    func replicasAway() async throws {
        try await ServerOutageLock.cluster.exclusively {
            try await TestMetrics.withClusterStore { store in
                let traffic = TestMetrics.traffic(experiment: "away", arms: ["a", "b"], decisions: 3_000, seed: 22, start: Date().addingTimeInterval(-600))
                let half = traffic.events.count / 2
                try await store.insert(Array(traffic.events[..<half]))
                try await TestServers.whileClusterServersStopped(["s1r2", "s2r2"]) {
                    try await store.insert(Array(traffic.events[half...]))
                    let totals = try await store.periodAggregates([ExperimentPhase(experiment: "away", since: .distantPast)])
                    #expect(Self.close(totals, Self.expected(traffic.expected)), "\(totals)")
                }
                let rows = try await Self.replicated(store.client.database)
                #expect(rows["s1r1"] == rows["s1r2"] && rows["s2r1"] == rows["s2r2"], "the returned replicas caught up: \(rows)")
                #expect(rows["s1r1"]! + rows["s2r1"]! == traffic.events.count, "\(rows)")
                // Row for row: each returned replica holds what its partner took while it was away.
                for (returned, partner) in [("s1r2", "s1r1"), ("s2r2", "s2r1")] {
                    let mine = try await Self.checksum(returned, store.client.database)
                    #expect(mine == (try await Self.checksum(partner, store.client.database)), "\(returned) against \(partner)")
                }
            }
        }
    }

    @Test("a whole shard away: reads refuse rather than total part of the data, the event writer spools, and once the shard is back every acknowledged event counts exactly once")
    func shardAway() async throws {
        try await ServerOutageLock.cluster.exclusively {
            try await TestMetrics.withClusterStore { store in
                let traffic = TestMetrics.traffic(experiment: "shard", arms: ["a", "b"], decisions: 3_000, seed: 23, start: Date().addingTimeInterval(-600))
                let parts = traffic.events.chunked(into: 600).map(Array.init)
                let phase = ExperimentPhase(experiment: "shard", since: .distantPast)
                var configuration = EventWriter.Configuration(spoolDirectory: UsesClickHouse.EventWriterTests.temporaryDirectory())
                configuration.retryInterval = .milliseconds(500)
                let writer = try EventWriter(destination: store, configuration: configuration, logger: Self.quiet)
                try await UsesClickHouse.EventWriterTests.running(writer) {
                    try await writer.write(parts[0])
                    try await TestServers.whileClusterServersStopped(["s2r1", "s2r2"]) {
                        do {
                            let partial = try await store.periodAggregates([phase])
                            Issue.record("totals read with shard 2 away: \(partial)")
                        } catch let error as StorageError {
                            #expect(error.code == .unreachable, "\(error)")
                        }
                        for part in parts[1..<parts.count / 2] { try await writer.write(part) }
                        #expect(writer.statistics.spooled > 0, "\(writer.statistics)")
                    }
                    for part in parts[(parts.count / 2)...] { try await writer.write(part) }
                    let clock = ContinuousClock()
                    let deadline = clock.now + .seconds(60)
                    while writer.statistics.spoolBytes > 0, clock.now < deadline { try await Task.sleep(for: .milliseconds(200)) }
                    #expect(writer.statistics.spoolBytes == 0, "the spool was replayed")
                }
                // Until both replicas of the returned shard say they are current, reads refuse.
                try await Self.firstAnswer { try await TestServers.syncClusterReplicas(store.client.database) }
                let totals = try await Self.firstAnswer { try await store.periodAggregates([phase]) }
                #expect(Self.close(totals, Self.expected(traffic.expected)), "\(totals)")
            }
        }
    }

    /// `read`'s first answer within 60 s, while it fails because a server is unreachable or behind.
    @discardableResult
    static func firstAnswer<T>(_ read: () async throws -> T) async throws -> T {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(60)
        while true {
            do {
                return try await read()
            } catch let error as StorageError where error.code == .unreachable && clock.now < deadline {
                try await Task.sleep(for: .milliseconds(250))
            }
        }
    }
}

extension Array {
    /// The elements in runs of `size` (the last may be shorter).
    func chunked(into size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
