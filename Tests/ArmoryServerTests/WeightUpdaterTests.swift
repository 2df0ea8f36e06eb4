import ArmoryCore
import ArmoryServer
import ArmoryStorage
import ArmoryTestSupport
import Foundation
import Logging
import Synchronization
import Testing

/// The weight updater on its own: a failing metrics store leaves the weights alone and is
/// retried; a working one gives Thompson weights computed from the stored totals.
@Suite("WeightUpdater")
struct WeightUpdaterTests {
    /// Runs a registry of `files` over a fresh SQLite state store while `body` runs.
    static func withRegistry<T: Sendable>(
        _ files: [String: String], _ body: @escaping @Sendable (ExperimentRegistry, any StateStore) async throws -> T
    ) async throws -> T {
        let folder = try TestServer.makeFolder(files)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteStateStore(path: folder.appendingPathComponent("state.sqlite").path)
        try await store.migrate()
        let registry = ExperimentRegistry(directory: folder.appendingPathComponent("experiments").path, store: store,
                                        modules: AlgorithmModules(registry: BuiltModules.registry), failures: ArmFailureCounts(),
                                        logger: TestServer.quiet)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await registry.run()
                return nil
            }
            try await registry.waitUntilLoaded()
            group.addTask { try await body(registry, store) }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let result { return result }
            }
            throw TestFailure("the registry stopped")
        }
    }

    @Test("ClickHouse unreachable: weights stay, the failure is counted, and each cycle tries again")
    func unreachable() async throws {
        try await Self.withRegistry(["duel.yaml": TestServer.duel]) { registry, store in
            // A closed port: the real client, refused at once.
            let unreachable = ClickHouseMetricsStore(client: try ClickHouseClient(url: "http://127.0.0.1:1/armory", timeout: .seconds(2)))
            let metrics = ServerMetrics()
            let updater = WeightUpdater(registry: registry, store: store, metricsStore: unreachable, lock: ProcessLeaderLock(),
                                        metrics: metrics, logger: TestServer.quiet)
            let later = Date().addingTimeInterval(3_600)
            #expect(await updater.runCycle(now: later).isEmpty)
            #expect(await updater.runCycle(now: later.addingTimeInterval(2)).isEmpty)
            let exposition = metrics.render(writer: nil, failures: ArmFailureCounts())
            #expect(exposition.contains(#"armory_updater_runs_total{outcome="failed"} 2"#), "both cycles tried and failed")
            #expect(try await store.weightVersions(of: "duel").count == 1)
            #expect(registry.experiment("duel")?.weights.version == 1)
        }
    }

    @Test("with totals in ClickHouse, the new weights are the Thompson policy's for those totals")
    func update() async throws {
        try await ServerOutageLock.clickHouse.whileRunning {
            let client = try await TestServers.makeClickHouseDatabase()
            do {
                try await Self.checkUpdate(ClickHouseMetricsStore(client: client))
            } catch {
                await TestServers.dropClickHouseDatabase(client)
                throw error
            }
            await TestServers.dropClickHouseDatabase(client)
        }
    }

    static func checkUpdate(_ metricsStore: ClickHouseMetricsStore) async throws {
        try await metricsStore.prepare()
        try await withRegistry(["duel.yaml": TestServer.duel]) { registry, store in
            let live = try #require(registry.experiment("duel"))
            // 200 decisions per arm: popular 20 clicked, personal 60.
            var events: [Event] = []
            for (arm, clicks) in [("popular", 20), ("personal", 60)] {
                for index in 0..<200 {
                    let id = "\(arm)-\(index)"
                    let time = live.phaseStart.addingTimeInterval(1 + Double(index) / 1_000)
                    events.append(Event(eventID: id, type: .impression, time: time, decisionID: id, experiment: "duel", arm: arm,
                                        configVersion: 1, weightVersion: 1, userID: "u\(index)"))
                    if index < clicks {
                        events.append(Event(eventID: id + "-click", type: .click, time: time, decisionID: id, experiment: "duel", arm: arm,
                                            configVersion: 1, weightVersion: 1, decisionTime: time, userID: "u\(index)", movieID: 1))
                    }
                }
            }
            try await metricsStore.insert(events)
            let metrics = ServerMetrics()
            let updater = WeightUpdater(registry: registry, store: store, metricsStore: metricsStore, lock: ProcessLeaderLock(),
                                        metrics: metrics, logger: TestServer.quiet)
            let outcomes = await updater.runCycle(now: Date().addingTimeInterval(5))
            guard case .updated(let version)? = outcomes["duel"] else {
                Issue.record("expected new weights, got \(outcomes)")
                return
            }
            // The same numbers computed here from the counts sent.
            let policy = ThompsonPolicy(settings: live.experiment.bandit!, objective: .ctr)
            let analysis = try #require(policy.analyze([
                ArmObservation(arm: "popular", trials: 200, successes: 20), ArmObservation(arm: "personal", trials: 200, successes: 60),
            ]))
            #expect(version.version == 2 && version.reason == .scheduled)
            #expect(version.inputs.map(\.trials) == [200, 200] && version.inputs.map(\.successes) == [20, 60])
            for (got, expected) in zip(version.weights, policy.weights(probabilityBest: analysis.probabilityBest)) {
                #expect(abs(got - expected) < 1e-12)
            }
            #expect(version.weights[1] > 0.9, "personal is almost surely better")
            #expect(registry.experiment("duel")?.weights.version == 2, "served at once")
            let stored = try #require(try await store.weightVersions(of: "duel").last)
            #expect(stored.version == version.version && stored.weights == version.weights && stored.inputs == version.inputs)

            // Due again with nothing new: no version, and the check is counted.
            #expect(await updater.runCycle(now: Date().addingTimeInterval(10)) == ["duel": .waiting("no new data since weight version 2")])
            #expect(try await store.weightVersions(of: "duel").count == 2)
            #expect(metrics.render(writer: nil, failures: ArmFailureCounts())
                .contains(#"armory_weight_updates_total{experiment="duel",outcome="unchanged"} 1"#))
            // One more decision, and the next cycle writes version 3.
            try await metricsStore.insert([Event(eventID: "late", type: .impression, time: live.phaseStart.addingTimeInterval(2),
                                                 decisionID: "late", experiment: "duel", arm: "popular", userID: "u-late")])
            guard case .updated(let third)? = await updater.runCycle(now: Date().addingTimeInterval(15))["duel"] else {
                Issue.record("expected a third version after new data")
                return
            }
            #expect(third.version == 3 && third.inputs.map(\.trials) == [201, 200])
        }
    }

    @Test("one worker at a time: a second waits on the PostgreSQL advisory lock and takes over when the first stops")
    func leaderLock() async throws {
        let endpoint = try PostgresEndpoint(url: TestServers.postgresURL())
        let key = Int64.random(in: 1...Int64.max)
        let first = PostgresLeaderLock(endpoint: endpoint, key: key, retryInterval: .milliseconds(200), logger: TestServer.quiet)
        let second = PostgresLeaderLock(endpoint: endpoint, key: key, retryInterval: .milliseconds(200), logger: TestServer.quiet)
        let log = EventLog()
        let (firstLeads, firstSignal) = AsyncStream<Void>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await first.whileLeading {
                    log.append("first took the lock")
                    firstSignal.yield()
                    // Long enough for the second to try many times.
                    try await Task.sleep(for: .seconds(2))
                    log.append("first let go")
                }
            }
            var iterator = firstLeads.makeAsyncIterator()
            _ = await iterator.next()
            group.addTask {
                try await second.whileLeading { log.append("second took the lock") }
            }
            try await group.waitForAll()
        }
        #expect(log.entries == ["first took the lock", "first let go", "second took the lock"])
    }
}

/// Things that happened, in order, from any task.
final class EventLog: Sendable {
    private let storage = Mutex<[String]>([])

    func append(_ entry: String) {
        storage.withLock { $0.append(entry) }
    }

    var entries: [String] { storage.withLock { $0 } }
}
