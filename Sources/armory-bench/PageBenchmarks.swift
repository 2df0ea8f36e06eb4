import ArmoryCore
import ArmoryServer
import ArmoryStorage
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore

/// The results page of an experiment of ten arms with 30 days of hourly history, served by a
/// whole Armory over HTTP from the real stores: the embedded SQLite files, and the PostgreSQL and
/// ClickHouse of `scripts/services.sh` (`ARMORY_TEST_DATABASE_URL`, `ARMORY_TEST_CLICKHOUSE_URL`).
/// Cold is the first request after a start (the server's caches empty; on the first start of
/// ClickHouse also its hourly totals computed for the first time); warm, the requests after.
/// Baselines from the same server: the results JSON (the page's share of the work) and `/health`.
/// `ARMORY_BENCH_PAGE_DECISIONS` sets the decisions per hour (default 500).
func benchmarkPage() async {
    let quiet = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
    let environment = ProcessInfo.processInfo.environment
    let perHour = Int(environment["ARMORY_BENCH_PAGE_DECISIONS"] ?? "") ?? 500
    let experiment = PageBenchmark.experimentFile
    report("page: 10 arms, 30 days, \(perHour) decisions per hour", "\(perHour * 720) decisions")
    do {
        try await PageBenchmark(kind: "SQLite", decisionsPerHour: perHour, logger: quiet).run(experiment) { configuration in configuration }
    } catch {
        report("page: SQLite", "failed: \(error)", verdict: false)
    }
    guard let database = environment["ARMORY_TEST_DATABASE_URL"], let base = try? PostgresEndpoint(url: database),
          let clickhouse = environment["ARMORY_TEST_CLICKHOUSE_URL"], let metricsBase = try? ClickHouseClient(url: clickhouse) else {
        report("page: PostgreSQL + ClickHouse", "ARMORY_TEST_* not set; run `bash scripts/services.sh` and source .armory/services/env",
               verdict: false)
        return
    }
    let name = "armory_bench_page_\(Int(Date().timeIntervalSince1970))"
    do {
        try await adminQuery("CREATE DATABASE \(name)", base, quiet)
        try await metricsBase.execute("CREATE DATABASE \(name)")
        var components = URLComponents(string: clickhouse)!
        components.path = "/\(name)"
        let endpoint = PostgresEndpoint(host: base.host, port: base.port, username: base.username, password: base.password, database: name)
        try await PageBenchmark(kind: "PostgreSQL + ClickHouse", decisionsPerHour: perHour, logger: quiet).run(experiment) { configuration in
            var configuration = configuration
            configuration.state = .postgres(endpoint)
            configuration.metrics = .clickhouse(url: components.string!)
            return configuration
        }
    } catch {
        report("page: PostgreSQL + ClickHouse", "failed: \(error)", verdict: false)
    }
    guard environment["ARMORY_BENCH_KEEP"] == nil else { return report("page: kept for inspection", name) }
    try? await adminQuery("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", base, quiet)
    _ = try? await metricsBase.execute("DROP DATABASE IF EXISTS \(name)")
}

struct PageBenchmark {
    static let arms = (0..<10).map { "variant-\($0)-collaborative-filtering-with-a-long-descriptive-name" }
    static let experimentFile = "id: ten-arms\nobjective: ctr\npolicy: thompson\nfallback: \(arms[0])\narms:\n"
        + arms.map { "  - { name: \($0), algorithm: popularity, weight: 0.1 }\n" }.joined()
        + "bandit:\n  update_every: 1d\n  burn_in: { min_trials_per_arm: 100, min_duration: 1h }\n"
        + "guardrails:\n  - { metric: fallback_rate, tolerance: 0.05, action: drop_arm }\n  - { metric: ctr, tolerance: 10%, action: alert }\n"

    let kind: String
    let decisionsPerHour: Int
    let logger: Logger

    /// Seeds the history into the stores `configure` names, then starts Armory twice on them and
    /// times the page cold and warm each time.
    func run(_ yaml: String, configure: (ServerConfiguration) -> ServerConfiguration) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("armory-bench-page-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("experiments"), withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("experiments/ten-arms.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.experimentsDirectory = folder.appendingPathComponent("experiments").path
        configuration.dataDirectory = folder.appendingPathComponent(".armory").path
        configuration.adminToken = "bench-admin-token-0123456789"
        configuration.demoCatalog = nil
        configuration = configure(configuration)
        try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)

        let decoded = ExperimentDecoder(algorithms: nil).decode(ExperimentSource(path: file.path, text: yaml))
        guard let experiment = decoded.experiment else { throw BenchFailure("\(decoded.problems)") }
        let history = SyntheticHistory(experiment: experiment, rates: (0..<10).map { 0.05 + 0.003 * Double($0) },
                                       start: Date().addingTimeInterval(-720 * 3_600 - 1_800), hours: 720,
                                       decisionsPerHour: decisionsPerHour, updateEveryHours: 1, seed: 11)
        let clock = ContinuousClock()
        let seeding = clock.now
        try await seed(history, yaml: yaml, file: file.path, configuration: configuration)
        report("page: \(kind) history seeded", String(format: "%.1f s", seconds(clock.now - seeding)))
        for start in ["first start", "restart"] {
            try await measure(configuration, start: start)
        }
    }

    private func seed(_ history: SyntheticHistory, yaml: String, file: String, configuration: ServerConfiguration) async throws {
        let metrics: any MetricsStore = switch configuration.metricsLocation {
        case .sqlite(let path): try SQLiteMetricsStore(path: path)
        case .clickhouse(let url): ClickHouseMetricsStore(client: try ClickHouseClient(url: url, timeout: .seconds(600)))
        }
        try await metrics.prepare()
        try await configuration.stateLocation.withStore(logger: logger) { state in
            try await HistorySeeder.write(history, yaml: yaml, file: file, state: state, metrics: metrics)
        }
    }

    /// Starts Armory, times the page's first request and 30 more, and the baselines.
    private func measure(_ configuration: ServerConfiguration, start: String) async throws {
        let armory = try await ArmoryApplication.make(configuration: configuration, logger: logger)
        let (addresses, sink) = AsyncStream.makeStream(of: String.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await armory.run { sink.yield($0) } }
            defer { group.cancelAll() }
            var iterator = addresses.makeAsyncIterator()
            guard let address = await iterator.next(), let port = address.split(separator: ":").last else { throw BenchFailure("no address") }
            let base = "http://127.0.0.1:\(port)"
            let page = "\(base)/experiments/ten-arms"
            let (first, bytes) = try await Self.get(page)
            report("page: \(kind), \(start): first request (cold)", milliseconds(first), target: "≤ 50 ms", verdict: first <= .milliseconds(50))
            let (p50, p99) = try await timings(30) { _ in _ = try await Self.get(page) }
            report("page: \(kind), \(start): warm p50 / p99 (\(bytes / 1_024) KiB)", "\(milliseconds(p50)) / \(milliseconds(p99))",
                   target: "≤ 50 ms", verdict: p99 <= .milliseconds(50))
            let results = try await timings(30) { _ in _ = try await Self.get("\(base)/v1/experiments/ten-arms/results") }
            let health = try await timings(30) { _ in _ = try await Self.get("\(base)/health") }
            report("    baseline: results JSON p50; /health p50", "\(milliseconds(results.p50)); \(milliseconds(health.p50))")
            try await breakdown(armory)
        }
    }

    /// Each read and computation behind the page, timed alone (median of 5): where its time goes.
    private func breakdown(_ armory: ArmoryApplication) async throws {
        guard let live = armory.registry.experiment("ten-arms") else { throw BenchFailure("ten-arms is not served") }
        let phase = ExperimentPhase(experiment: live.id, since: live.phaseStart)
        func median(_ work: () async throws -> Void) async throws -> Duration {
            try await timings(5) { _ in try await work() }.p50
        }
        var parts: [(String, Duration)] = []
        var aggregates: [ArmAggregate] = []
        var versions: [WeightVersion] = []
        var assignments: [FirstAssignment] = []
        var series: [TimeSeriesPoint] = []
        let width = ExperimentTimeline.bucketWidth(since: live.phaseStart, until: Date())
        parts.append(("period aggregates", try await median { aggregates = try await armory.metricsStore.periodAggregates([phase]) }))
        parts.append(("first assignments", try await median { assignments = try await armory.metricsStore.firstAssignments([phase]) }))
        parts.append(("time series", try await median { series = try await armory.metricsStore.timeSeries(phase, bucketSeconds: width, until: Date()) }))
        parts.append(("weight versions", try await median { versions = try await armory.store.weightVersions(of: live.id) }))
        parts.append(("config versions, audit", try await median {
            _ = try await armory.store.configVersions(of: live.id)
            _ = try await armory.store.auditEntries(experimentID: live.id, limit: ResultsReader.auditLimit)
        }))
        parts.append(("results from them", try await median {
            _ = ExperimentResults(live: live, aggregates: aggregates, versions: versions, assignments: assignments)
        }))
        parts.append(("timeline from them", try await median {
            _ = ExperimentTimeline(live: live, series: series, bucketSeconds: width, versions: versions, configs: [], audit: [], until: Date())
        }))
        report("    where the time goes (medians)", parts.map { "\($0.0) \(milliseconds($0.1))" }.joined(separator: "; "))
    }

    private static func get(_ url: String) async throws -> (Duration, Int) {
        let clock = ContinuousClock()
        let start = clock.now
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(120))
        let body = try await response.body.collect(upTo: 64 << 20)
        let elapsed = clock.now - start
        guard response.status == .ok else { throw BenchFailure("\(url): \(response.status) \(String(buffer: body))") }
        return (elapsed, body.readableBytes)
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

private func milliseconds(_ duration: Duration) -> String {
    String(format: "%.2f ms", seconds(duration) * 1_000)
}
