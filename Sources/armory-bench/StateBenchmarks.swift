import ArmoryCore
import ArmoryStorage
import Foundation
import GRDB
import Logging
import PostgresNIO

/// Demo seeding, history reads and weight-version appends, on SQLite and on the PostgreSQL that
/// `scripts/services.sh start` runs (found by `ARMORY_TEST_DATABASE_URL`).
func benchmarkState() async {
    let quiet = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("armory-bench-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    do {
        try await benchmarkStore(.sqlite(path: directory.appendingPathComponent("bench.sqlite").path), seedTarget: 20, logger: quiet)
    } catch {
        report("state: SQLite", "failed: \(error)", verdict: false)
    }
    guard let url = ProcessInfo.processInfo.environment["ARMORY_TEST_DATABASE_URL"], let base = try? PostgresEndpoint(url: url) else {
        report("state: PostgreSQL", "ARMORY_TEST_DATABASE_URL not set; run `bash scripts/services.sh` and source .armory/services/env",
               verdict: false)
        return
    }
    let name = "armory_bench_\(Int(Date().timeIntervalSince1970))"
    do {
        try await adminQuery("CREATE DATABASE \(name)", base, quiet)
        let endpoint = PostgresEndpoint(host: base.host, port: base.port, username: base.username, password: base.password, database: name)
        try await benchmarkStore(.postgres(endpoint), seedTarget: 30, logger: quiet)
        // The floor under any query: one round trip of SELECT 1 on a pooled connection.
        try await StateStoreLocation.postgres(endpoint).withStore(logger: quiet) { _ in
            let client = PostgresClient(configuration: .init(host: endpoint.host, port: endpoint.port, username: endpoint.username,
                                                             password: endpoint.password, database: name, tls: .disable))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await client.run() }
                let (p50, _) = try await timings(1_000) { _ in try await client.query("SELECT 1") }
                report("    baseline: SELECT 1 round trip, p50", microseconds(p50))
                group.cancelAll()
            }
        }
    } catch {
        report("state: PostgreSQL", "failed: \(error)", verdict: false)
    }
    try? await adminQuery("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", base, quiet)
}

private func benchmarkStore(_ location: StateStoreLocation, seedTarget: Double, logger: Logger) async throws {
    let kind = if case .postgres = location { "PostgreSQL" } else { "SQLite" }
    try await location.withStore(logger: logger) { store in
        let data = DemoData(movies: 5_000, users: 10_000, seed: 1)
        let summary = try await DemoSeeder(data: data).seed(into: store)
        report("state: \(kind) demo seed, \((summary.views + summary.likes) / 1_000)k views+likes",
               String(format: "%.1f s, %.0f rows/s", summary.seconds, summary.rowsPerSecond),
               target: String(format: "≤ %.0f s, ≥ 50k rows/s", seedTarget),
               verdict: summary.seconds <= seedTarget && summary.rowsPerSecond >= 50_000)

        var generator = Xoshiro256StarStar(seed: 9)
        let users = (0..<2_000).map { _ in "user-\(Int(generator.nextUniform() * 10_000))" }
        let (p50, p99) = try await timings(users.count) { index in _ = try await store.history(of: users[index], since: nil) }
        report("state: \(kind) history read, p50 / p99", "\(microseconds(p50)) / \(microseconds(p99))",
               target: "p50 ≤ 1 ms", verdict: kind == "SQLite" ? nil : p50 <= .milliseconds(1))

        // The popular lists a popularity arm reads (each loaded once per cache lifetime, 30 s).
        var weekList = Duration.zero
        for (label, days) in [("7 days", 7.0), ("all time", nil)] {
            let since = days.map { Date().addingTimeInterval(-$0 * 86_400) }
            let (p50, _) = try await timings(9) { _ in _ = try await store.popularMovies(genre: nil, since: since, limit: 200) }
            report("state: \(kind) popular list, \(label), p50", microseconds(p50))
            if days != nil { weekList = p50 }
        }
        if case .sqlite(let path) = location {
            // What SQLite's own choice of plan costs (views_by_movie, then every view's row).
            let queue = try DatabaseQueue(path: path)
            let since = Date().addingTimeInterval(-7 * 86_400).timeIntervalSince1970
            let (p50, _) = try await timings(3) { _ in
                _ = try queue.read { db in
                    try Row.fetchAll(db, sql: "SELECT movie_id, count(*) AS n FROM views WHERE at >= ? GROUP BY movie_id ORDER BY n DESC, movie_id LIMIT 200",
                                     arguments: [since])
                }
            }
            report("    baseline: SQLite's own plan, 7 days, p50", "\(microseconds(p50)) (\(String(format: "%.0f", seconds(p50) / seconds(weekList)))× the time index)")
        }

        let appends = 2_000
        let clock = ContinuousClock()
        let start = clock.now
        for index in 0..<appends {
            _ = try await store.appendWeightVersion(WeightVersion(
                experimentID: "bench", version: 0, configVersion: 1, arms: ["a", "b", "c"],
                inputs: [ArmObservation(arm: "a", trials: index, successes: index / 20)], method: .exactIntegration,
                probabilityBest: [0.2, 0.3, 0.5], weights: [0.2, 0.3, 0.5], reason: .scheduled, actor: "bench", createdAt: Date()))
        }
        let perSecond = Double(appends) / seconds(clock.now - start)
        report("state: \(kind) weight-version appends", String(format: "%.0f /s", perSecond),
               target: "≥ 1,000/s", verdict: perSecond >= 1_000)
    }
}

func adminQuery(_ sql: String, _ endpoint: PostgresEndpoint, _ logger: Logger) async throws {
    try await endpoint.withConnection(logger: logger) { connection in
        try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
    }
}

/// The median and 99th percentile of `count` timed calls.
func timings(_ count: Int, _ call: (Int) async throws -> Void) async throws -> (p50: Duration, p99: Duration) {
    let clock = ContinuousClock()
    var samples: [Duration] = []
    samples.reserveCapacity(count)
    for index in 0..<count {
        let start = clock.now
        try await call(index)
        samples.append(clock.now - start)
    }
    samples.sort()
    return (samples[count / 2], samples[min(count - 1, count * 99 / 100)])
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
}
