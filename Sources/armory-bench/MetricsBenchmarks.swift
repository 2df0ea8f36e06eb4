import ArmoryCore
import ArmoryStorage
import Foundation
import Logging

/// Event writing and aggregation on the ClickHouse of `scripts/services.sh` (found by
/// `ARMORY_TEST_CLICKHOUSE_URL`) and on SQLite.
func benchmarkMetrics() async {
    let quiet = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
    let events = syntheticEvents(count: 600_000)
    let spool = FileManager.default.temporaryDirectory.appendingPathComponent("armory-bench-spool-\(UUID().uuidString)").path
    let sqliteDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("armory-bench-metrics-\(UUID().uuidString)")
    defer {
        try? FileManager.default.removeItem(atPath: spool)
        try? FileManager.default.removeItem(at: sqliteDirectory)
    }
    do {
        let store = try SQLiteMetricsStore(path: sqliteDirectory.appendingPathComponent("metrics.sqlite").path)
        try await store.prepare()
        let rate = try await writerRate(Array(events.prefix(200_000)), store: store, spool: spool + "-sqlite", logger: quiet)
        report("metrics: EventWriter → SQLite", String(format: "%.0f events/s", rate), target: "≥ 20k/s", verdict: rate >= 20_000)
    } catch {
        report("metrics: SQLite", "failed: \(error)", verdict: false)
    }

    guard let url = ProcessInfo.processInfo.environment["ARMORY_TEST_CLICKHOUSE_URL"], let base = try? ClickHouseClient(url: url) else {
        report("metrics: ClickHouse", "ARMORY_TEST_CLICKHOUSE_URL not set; run `bash scripts/services.sh` and source .armory/services/env",
               verdict: false)
        return
    }
    let name = "armory_bench_\(Int(Date().timeIntervalSince1970))"
    do {
        try await base.execute("CREATE DATABASE \(name)")
        var components = URLComponents(string: url)!
        components.path = "/\(name)"
        // The 10M-event load below is one statement that runs longer than a server's queries.
        let client = try ClickHouseClient(url: components.string!, timeout: .seconds(600))
        let store = ClickHouseMetricsStore(client: client)
        try await store.prepare()

        // Baseline: the same rows POSTed straight to the store as RowBinary batches of the
        // writer's size, one after another: no queue, no acknowledgements, no spool.
        let clock = ContinuousClock()
        var start = clock.now
        let batchSize = EventWriter.Configuration(spoolDirectory: spool).batchSize
        for batch in stride(from: 0, to: events.count, by: batchSize) {
            try await store.insert(Array(events[batch..<min(batch + batchSize, events.count)]))
        }
        let raw = Double(events.count) / seconds(clock.now - start)
        try await client.execute("TRUNCATE TABLE events")

        let rate = try await writerRate(events, store: store, spool: spool, logger: quiet)
        report("metrics: EventWriter → ClickHouse, 600k events", String(format: "%.0f events/s", rate), target: "≥ 100k/s, ≥ 50% of raw",
               verdict: rate >= 100_000 && rate >= raw / 2)
        report("    baseline: raw RowBinary POSTs, same rows", String(format: "%.0f events/s (writer/raw %.2f)", raw, rate / raw))

        // ARMORY_BENCH_METRICS_EVENTS (10M by default; fewer where the load outruns the client)
        // events made by ClickHouse itself: 10 experiments × 3 arms, 4M decisions with
        // clicks, conversions and engagement, ten a second over the 11.6 days before yesterday;
        // impressions (numbers ending 0 or 4 in base 5) with no event id, as the server writes them.
        try await client.execute("TRUNCATE TABLE events")
        let eventCount = Int(ProcessInfo.processInfo.environment["ARMORY_BENCH_METRICS_EVENTS"] ?? "") ?? 10_000_000
        let label = eventCount % 1_000_000 == 0 ? "\(eventCount / 1_000_000)M" : "\(eventCount)"
        let origin = Int(Date().timeIntervalSince1970) - 1_100_000
        start = clock.now
        try await client.execute("""
            INSERT INTO events (time, event_id, decision_id, decision_time, experiment, arm, config_version, weight_version, user_id,
                                movie_id, type, value, position, items)
            SELECT toDateTime(\(origin) + intDiv(number, 10)) AS time,
                   if(number % 5 IN (0, 4), '', concat('e', toString(number))) AS event_id,
                   concat('d', toString(intDiv(number, 5) * 2 + (number % 5 = 4))) AS decision_id,
                   toDateTime(\(origin) + intDiv(intDiv(number, 5) * 5, 10)) AS decision_time,
                   concat('exp-', toString(intDiv(number, 5) % 10)) AS experiment, concat('arm-', toString(intDiv(number, 50) % 3)) AS arm,
                   1, 1, concat('u', toString(number % 100000)), number % 5000,
                   arrayElement(['impression', 'click', 'conversion', 'engagement', 'impression'], number % 5 + 1) AS type,
                   if(number % 5 = 3, (number % 600) / 2, 0), -1, []
            FROM numbers(\(eventCount))
            """)
        let loaded = seconds(clock.now - start)
        let phases = (0..<10).map { ExperimentPhase(experiment: "exp-\($0)", since: Date(timeIntervalSince1970: Double(origin))) }
        // The first read totals every hour (278 of them) once and stores the totals.
        let read = try await readTimes(store, phases)
        let totals = read.totals
        let trials = totals.map(\.trials).reduce(0, +)
        report("metrics: aggregates per weight version, 10 experiments, \(label) events", String(format: "%.0f ms (median of 5)", read.warm * 1e3),
               target: "≤ 500 ms", verdict: read.warm <= 0.5)
        report("    first read (totals every closed hour once)", String(format: "%.2f s", read.first))
        try await benchmarkFirstAssignments(store: store, client: client, phases: phases)
        report("    \(totals.count) arms, \(trials) decisions", String(format: "loaded by INSERT … SELECT in %.1f s", loaded))
        // The same totals straight from the events, per decision, as the check on the hourly ones.
        let direct = try await client.execute("""
            SELECT count() FROM (SELECT decision_id, max(type = 'impression') AS shown FROM events GROUP BY decision_id) WHERE shown = 1
            """)
        let directTrials = Int(direct.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        report("    decisions counted straight from the events", "\(directTrials)", target: "= \(trials)", verdict: directTrials == trials)
    } catch {
        report("metrics: ClickHouse", "failed: \(error)", verdict: false)
    }
    _ = try? await base.execute("DROP DATABASE IF EXISTS \(name)")
}

/// The sample-ratio check's read, which the worker makes every cycle: each user's first
/// impression, by a scan of the phases' impressions (no hourly totals can answer it), checked
/// against a count of distinct users made straight from the events.
private func benchmarkFirstAssignments(store: ClickHouseMetricsStore, client: ClickHouseClient, phases: [ExperimentPhase]) async throws {
    let clock = ContinuousClock()
    var times: [Double] = []
    var rows: [FirstAssignment] = []
    for _ in 0..<5 {
        let start = clock.now
        rows = try await store.firstAssignments(phases)
        times.append(seconds(clock.now - start))
    }
    times.sort()
    report("metrics: first assignments (each user once), 10 experiments", String(format: "%.0f ms (median of 5)", times[2] * 1e3),
           target: "read every update cycle (5 min by default)")
    let direct = try await client.execute("""
        SELECT count() FROM (SELECT DISTINCT experiment, user_id FROM events WHERE type = 'impression')
        """)
    let users = Int(direct.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    let counted = rows.map(\.units).reduce(0, +)
    report("    users counted straight from the events", "\(users)", target: "= \(counted)", verdict: users == counted)
}

/// Events per second through an EventWriter: 64 producers writing batches of 500.
func writerRate(_ events: [Event], store: any MetricsStore, spool: String, logger: Logger) async throws -> Double {
    let writer = try EventWriter(destination: store, configuration: .init(spoolDirectory: spool), logger: logger)
    // 64 producers with a batch of 500 each in flight: many concurrent requests, as a server sees.
    let clock = ContinuousClock()
    let start = clock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await writer.run() }
        try await withThrowingTaskGroup(of: Void.self) { producers in
            let lanes = 64
            for lane in 0..<lanes {
                producers.addTask {
                    for batch in stride(from: lane * 500, to: events.count, by: lanes * 500) {
                        try await writer.write(Array(events[batch..<min(batch + 500, events.count)]))
                    }
                }
            }
            try await producers.waitForAll()
        }
        writer.stop()
        try await group.waitForAll()
    }
    return Double(events.count) / seconds(clock.now - start)
}

/// Impressions with clicks and some engagement, ids like the server's.
func syntheticEvents(count: Int) -> [Event] {
    let time = Date(timeIntervalSince1970: 1_795_608_000)
    return (0..<count).map { index in
        let decision = "d1.bench-\(index / 2)"
        let type: EventType = index % 2 == 0 ? .impression : (index % 6 == 5 ? .engagement : .click)
        return Event(eventID: index % 2 == 0 ? decision : "\(decision)-\(index)", type: type, time: time, decisionID: decision,
                     experiment: "exp-\(index % 10)", arm: "arm-\(index % 3)", configVersion: 1, weightVersion: 1,
                     userID: "user-\(index % 10_000)", movieID: index % 5_000 + 1, value: type == .engagement ? 42 : 0,
                     position: type == .click ? 2 : -1, items: type == .impression ? [1, 2, 3, 4, 5] : [])
    }
}
