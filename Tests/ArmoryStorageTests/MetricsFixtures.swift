import ArmoryCore
import ArmoryStorage
import Foundation
import Testing
import ArmoryTestSupport

/// The metrics stores: SQLite, one ClickHouse server and a ClickHouse cluster (two shards of
/// two replicas), and fresh ones per test. A test given all three kinds checks every total
/// against the same expected values, so the cluster's totals equal one server's.
enum MetricsKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case clickhouse
    case cluster

    var testDescription: String {
        switch self {
        case .sqlite: "SQLite"
        case .clickhouse: "ClickHouse"
        case .cluster: "ClickHouse cluster"
        }
    }
}

enum TestMetrics {
    static func clickHouseURL() throws -> String {
        try TestServers.clickHouseURL()
    }

    /// A ClickHouse client on a new, empty database of its own.
    static func freshClickHouse(compressInserts: Bool? = nil) async throws -> ClickHouseClient {
        try await TestServers.makeClickHouseDatabase(compressInserts: compressInserts)
    }

    static func drop(_ client: ClickHouseClient) async {
        await TestServers.dropClickHouseDatabase(client)
    }

    static func withFreshStore<T: Sendable>(_ kind: MetricsKind, _ body: @Sendable (any MetricsStore) async throws -> T) async throws -> T {
        switch kind {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("armory-metrics-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            let store = try SQLiteMetricsStore(path: directory.appendingPathComponent("metrics.sqlite").path)
            try await store.prepare()
            return try await body(store)
        case .clickhouse:
            // Other targets' tests stop the server (the Kafka ingest's outage test among them).
            return try await ServerOutageLock.clickHouse.whileRunning {
                let client = try await freshClickHouse()
                do {
                    let store = ClickHouseMetricsStore(client: client)
                    try await store.prepare()
                    let result = try await body(store)
                    await drop(client)
                    return result
                } catch {
                    await drop(client)
                    throw error
                }
            }
        case .cluster:
            return try await ServerOutageLock.cluster.whileRunning { try await withClusterStore { try await body(ReplicaSyncingStore(base: $0)) } }
        }
    }

    /// A store across the test cluster on a fresh database of its own while `body` runs; dropped after.
    static func withClusterStore<T: Sendable>(_ body: @Sendable (ClickHouseMetricsStore) async throws -> T) async throws -> T {
        let client = try await TestServers.makeClusterDatabase()
        do {
            let store = ClickHouseMetricsStore(client: client, cluster: try TestServers.clusterName())
            try await store.prepare()
            let result = try await body(store)
            await TestServers.dropClusterDatabase(client)
            return result
        } catch {
            await TestServers.dropClusterDatabase(client)
            throw error
        }
    }

    /// Seeded traffic: decisions over arms, each with 0–2 clicks, maybe a conversion, and 0–3
    /// engagement events, and some answered by the first arm after a module timeout or error;
    /// with the expected totals worked out from the events themselves.
    static func traffic(experiment: String, arms: [String], decisions: Int, seed: UInt64, start: Date)
        -> (events: [Event], expected: [String: ArmAggregate]) {
        var generator = SeededNumbers(seed: seed)
        var events: [Event] = []
        var expected: [String: ArmAggregate] = [:]
        for index in 0..<decisions {
            let arm = arms[generator.next(arms.count)]
            let decision = "\(experiment)-d\(index)"
            let time = start.addingTimeInterval(Double(generator.next(7_200)))
            let failure: ModuleFailure? = switch generator.next(16) {
            case 0, 1: .timeout
            case 2: .error
            default: nil
            }
            events.append(Event(eventID: decision, type: .impression, time: time, decisionID: decision, experiment: experiment, arm: arm,
                                configVersion: 1, weightVersion: 1, userID: "u\(generator.next(500))", items: [1, 2, 3],
                                servedBy: failure == nil ? arm : arms[0], moduleFailure: failure))
            var totals = expected[arm] ?? ArmAggregate(experiment: experiment, arm: arm, trials: 0, clicked: 0, converted: 0,
                                                       engagementSum: 0, engagementSumOfSquares: 0)
            totals.trials += 1
            if failure == .timeout { totals.timeouts += 1 }
            if failure == .error { totals.errors += 1 }
            let clicks = generator.next(3)
            for click in 0..<clicks {
                events.append(Event(eventID: "\(decision)-c\(click)", type: .click, time: time.addingTimeInterval(5), decisionID: decision,
                                    experiment: experiment, arm: arm, decisionTime: time, userID: "u", movieID: 2, position: 1))
            }
            if clicks > 0 { totals.clicked += 1 }
            if generator.next(10) == 0 {
                events.append(Event(eventID: "\(decision)-v", type: .conversion, time: time.addingTimeInterval(9), decisionID: decision,
                                    experiment: experiment, arm: arm, decisionTime: time, userID: "u"))
                totals.converted += 1
            }
            var engagement = 0.0
            for part in 0..<generator.next(4) {
                let value = Double(generator.next(600)) + 0.5
                events.append(Event(eventID: "\(decision)-e\(part)", type: .engagement, time: time.addingTimeInterval(20), decisionID: decision,
                                    experiment: experiment, arm: arm, decisionTime: time, userID: "u", value: value))
                engagement += value
            }
            totals.engagementSum += engagement
            totals.engagementSumOfSquares += engagement * engagement
            expected[arm] = totals
        }
        return (events, expected)
    }
}

/// SplitMix64 for test data: small and seeded.
struct SeededNumbers {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(bound))
    }
}

/// A cluster store whose inserts return once every replica has them, for tests that read their
/// writes at once and compare exactly (see ``TestServers/syncClusterReplicas(_:)``).
struct ReplicaSyncingStore: MetricsStore {
    let base: ClickHouseMetricsStore

    var location: String { base.location }
    func prepare() async throws { try await base.prepare() }

    func insert(_ events: [Event]) async throws {
        try await base.insert(events)
        try await TestServers.syncClusterReplicas(base.client.database)
    }

    func periodAggregates(_ phases: [ExperimentPhase]) async throws -> [ArmAggregate] { try await base.periodAggregates(phases) }
    func firstAssignments(_ phases: [ExperimentPhase]) async throws -> [FirstAssignment] { try await base.firstAssignments(phases) }
    func timeSeries(_ phase: ExperimentPhase, bucketSeconds: Int, until: Date) async throws -> [TimeSeriesPoint] {
        try await base.timeSeries(phase, bucketSeconds: bucketSeconds, until: until)
    }
    func modelAggregates(experiment: String, since: Date) async throws -> [ModelAggregate] {
        try await base.modelAggregates(experiment: experiment, since: since)
    }
}
