import ArmoryCore
import ArmoryKit
import ArmoryServer
import ArmoryStorage
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// The data the built-in modules read, and the modules themselves, as the server runs them:
/// loaded from their libraries, reading the demo catalog (its size in BENCHMARKS.md) through
/// the server's `StoreDataSource` over SQLite and over the PostgreSQL of `scripts/services.sh`
/// (ARMORY_TEST_DATABASE_URL), while a writer appends views and likes the way the events route
/// does. Cold: the user's history read from the store; warm: from the cache.
func benchmarkModules() async {
    var registry = AlgorithmRegistry()
    let quiet = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
    let loadReport = ModuleLoader(directories: ModuleLoader.defaultDirectories()).load(into: &registry, logger: quiet)
    if let advice = loadReport.emptyAdvice {
        report("modules", "no modules", verdict: false)
        print("       \(advice)")
        return
    }
    let loaded = registry
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("armory-bench-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    do {
        try await StateStoreLocation.sqlite(path: directory.appendingPathComponent("modules.sqlite").path).withStore(logger: quiet) { store in
            try await benchmarkModules(over: store, kind: "SQLite", registry: loaded)
        }
    } catch {
        report("modules: SQLite", "failed: \(error)", verdict: false)
    }
    guard let url = ProcessInfo.processInfo.environment["ARMORY_TEST_DATABASE_URL"], let base = try? PostgresEndpoint(url: url) else {
        report("modules: PostgreSQL", "ARMORY_TEST_DATABASE_URL not set; run `bash scripts/services.sh` and source .armory/services/env",
               verdict: false)
        return
    }
    let name = "armory_bench_modules_\(Int(Date().timeIntervalSince1970))"
    do {
        try await base.withConnection(logger: quiet) { try await $0.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: quiet) }
        let endpoint = PostgresEndpoint(host: base.host, port: base.port, username: base.username, password: base.password, database: name)
        try await StateStoreLocation.postgres(endpoint).withStore(logger: quiet) { store in
            try await benchmarkModules(over: store, kind: "PostgreSQL", registry: loaded)
        }
    } catch {
        report("modules: PostgreSQL", "failed: \(error)", verdict: false)
    }
    _ = try? await base.withConnection(logger: quiet) {
        try await $0.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: quiet)
    }
}

private func benchmarkModules(over store: any StateStore, kind: String, registry: AlgorithmRegistry) async throws {
    _ = try await DemoSeeder(data: DemoData(movies: 5_000, users: 10_000, seed: 1)).seed(into: store)
    let coWatch = CoWatchLists(store: store)
    let clock = ContinuousClock()
    let buildStart = clock.now
    try await coWatch.rebuild()
    let status = coWatch.status
    report("modules: \(kind) co-watch lists built", String(format: "%.2f s, %d pairs, %d movies", seconds(clock.now - buildStart),
                                                             status.pairs, status.movies), target: "in the background")
    let data = StoreDataSource(store: store, coWatch: coWatch)
    _ = try await data.catalog()
    var generator = Xoshiro256StarStar(seed: 21)
    let users = (0..<2_000).map { _ in "user-\(Int(generator.nextUniform() * 10_000))" }
    let writer = AppendingWriter(store: store, data: data)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await writer.run() }
        defer { group.cancelAll() }
        try await benchmarkDataSource(data, kind: kind, users: users)
        try await benchmarkBuiltIns(data, kind: kind, users: users, registry: registry)
        report("modules: \(kind) while appending", "\(writer.appended.withLock { $0 }) views and likes, in batches of 25")
    }
}

/// What the modules read per request: a history, the co-watched lists of 20 movies, a popular list.
private func benchmarkDataSource(_ data: StoreDataSource, kind: String, users: [String]) async throws {
    let cold = try await timings(users.count) { index in
        data.forgetHistory(of: users[index])
        sink += Double(try await data.history(of: users[index], since: nil).views.count)
    }
    report("modules: \(kind) history, read from the store, p50 / p99", "\(microseconds(cold.p50)) / \(microseconds(cold.p99))")
    // As requests ask once a server has run a while: every user asked once, then users drawn
    // from all 10,000, with the writer's views and likes added to the cached histories as the
    // server adds them.
    for index in 0..<10_000 { sink += Double(try await data.history(of: "user-\(index)", since: nil).views.count) }
    var generator = Xoshiro256StarStar(seed: 5)
    let asked = (0..<50_000).map { _ in "user-\(Int(generator.nextUniform() * 10_000))" }
    let requests = try await timings(asked.count) { index in sink += Double(try await data.history(of: asked[index], since: nil).views.count) }
    report("modules: \(kind) history, as requests ask, p50 / p99", "\(microseconds(requests.p50)) / \(microseconds(requests.p99))",
           target: "p99 ≤ 1 ms", verdict: requests.p99 <= .milliseconds(1))

    var seeds: [[Int]] = []
    for user in users.prefix(500) {
        let history = try await data.history(of: user, since: nil)
        seeds.append(Array(Set((history.views + history.likes).map(\.movieID)).prefix(20)))
    }
    let coWatched = try await timings(seeds.count) { index in
        for movie in seeds[index] { sink += Double(try await data.coWatchedMovies(with: movie, limit: 50).count) }
    }
    report("modules: \(kind) co-watched, 20 seeds × 50, p50 / p99", "\(microseconds(coWatched.p50)) / \(microseconds(coWatched.p99))",
           target: "p99 ≤ 2 ms", verdict: coWatched.p99 <= .milliseconds(2))

    let since = Date().addingTimeInterval(-7 * 86_400)
    let start = ContinuousClock.now
    sink += Double(try await data.popularMovies(genre: "drama", since: since, limit: 10).count)
    report("modules: \(kind) popular list, first read (uncached)", microseconds(ContinuousClock.now - start))
    let popular = try await timings(20_000) { _ in sink += Double(try await data.popularMovies(genre: "drama", since: since, limit: 10).count) }
    report("modules: \(kind) popular list, cached, p50 / p99", "\(microseconds(popular.p50)) / \(microseconds(popular.p99))",
           target: "p99 ≤ 0.1 ms", verdict: popular.p99 <= .microseconds(100))
}

/// Each built-in module, with the parameters experiments/because-you-watched.yaml gives it.
private func benchmarkBuiltIns(_ data: StoreDataSource, kind: String, users: [String], registry: AlgorithmRegistry) async throws {
    let arms: [(String, [String: ParameterValue])] = [
        ("popularity", [:]), ("history", ["like_boost": .number(1.5)]), ("item-to-item", ["neighbours": .integer(50)]), ("random", [:]),
    ]
    for (name, parameters) in arms {
        guard let algorithm = try? registry.makeAlgorithm(named: name, parameters: parameters) else {
            report("modules: \(kind) \(name)", "not loaded", verdict: false)
            continue
        }
        for warm in [false, true] {
            let (p50, p99) = try await timings(users.count) { index in
                if !warm { data.forgetHistory(of: users[index]) }
                sink += Double(try await algorithm.recommend(RecommendationRequest(userID: users[index], limit: 10), data: data).count)
            }
            report("modules: \(kind) \(name), \(warm ? "warm" : "cold"), p50 / p99", "\(microseconds(p50)) / \(microseconds(p99))",
                   target: "p99 ≤ 5 ms (budget 50 ms)", verdict: p99 <= .milliseconds(5))
        }
    }
}

/// Appends views and likes for random demo users while the benchmark reads, forgetting their
/// cached histories as the server does, a small batch at a time.
private final class AppendingWriter: Sendable {
    let store: any StateStore
    let data: StoreDataSource
    let appended = Mutex(0)

    init(store: any StateStore, data: StoreDataSource) {
        self.store = store
        self.data = data
    }

    func run() async throws {
        var generator = Xoshiro256StarStar(seed: 77)
        while !Task.isCancelled {
            let events = (0..<25).map { _ in
                UserEvent(userID: "user-\(Int(generator.nextUniform() * 10_000))", movieID: 1 + Int(generator.nextUniform() * 5_000), time: Date())
            }
            try await store.appendViews(Array(events.prefix(20)))
            try await store.appendLikes(Array(events.suffix(5)))
            data.record(views: Array(events.prefix(20)), likes: Array(events.suffix(5)))
            appended.withLock { $0 += events.count }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}
