import ArmoryCore
import ArmoryKit
import ArmoryServer
import ArmoryStorage
import Foundation
import Logging

/// Hot movies in the Redis of `scripts/services.sh` (found by `ARMORY_TEST_REDIS_URL`):
/// recording views, reading a window's list from Redis itself, and the popularity module
/// answered by ``HotListDataSource`` as the server uses it, against the same module on an
/// in-memory source in the same run.
func benchmarkRedis() async {
    guard let url = ProcessInfo.processInfo.environment["ARMORY_TEST_REDIS_URL"], let redis = try? RedisClient(url: url) else {
        report("redis", "ARMORY_TEST_REDIS_URL not set; run `bash scripts/services.sh` and source .armory/services/env",
               verdict: false)
        return
    }
    var registry = AlgorithmRegistry()
    _ = ModuleLoader(directories: ModuleLoader.defaultDirectories())
        .load(into: &registry, logger: Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() })
    guard let popularity = try? registry.makeAlgorithm(named: "popularity") else {
        report("redis: popularity module", "not loaded", verdict: false)
        return
    }
    let now = Date()
    let synthetic = SyntheticCatalog(movies: 10_000, users: 2_000, viewsPerUser: 50, heavyUserViews: 1_000, now: now)
    let memory = synthetic.dataSource()
    let hot = HotMovies(redis: redis, prefix: "armory-bench:\(UUID().uuidString.prefix(8))")
    do {
        // 200,000 views of the last 24 hours, recorded in batches of 500 as the events route does.
        let catalog = try await memory.catalog()
        var generator = Xoshiro256StarStar(seed: 7)
        let hits = (0..<200_000).map { _ in
            let movie = synthetic.zipfMovie(&generator)
            return HotMovies.Hit(movieID: movie, genres: catalog.movie(id: movie)?.genres ?? [],
                                 time: now.addingTimeInterval(-generator.nextUniform() * 86_400))
        }
        let clock = ContinuousClock()
        let start = clock.now
        for batch in stride(from: 0, to: hits.count, by: 500) {
            try await hot.record(Array(hits[batch..<min(batch + 500, hits.count)]))
        }
        let seconds = (clock.now - start) / .seconds(1)
        report("redis: record views (batches of 500)", String(format: "%.0f views/s", Double(hits.count) / seconds))

        // A window's list straight from Redis: what a refresh costs every few seconds.
        for (label, window) in [("24 h", 86_400.0), ("7 days", 7 * 86_400.0)] {
            let (p50, p99) = await percentiles(rounds: 200) {
                (try? await hot.popular(genre: nil, since: now.addingTimeInterval(-window), limit: 200))?.count ?? 0
            }
            report("redis: read \(label) of hours, top 200, p50 / p99", "\(microseconds(p50)) / \(microseconds(p99))")
        }

        // The module as the server runs it: lists from Redis, cached for 5 s.
        let served = HotListDataSource(base: memory, hot: hot)
        let request = RecommendationRequest(userID: "heavy", limit: 20, time: now)
        let first = try await popularity.recommend(request, data: served)
        guard first.count == 20 else {
            report("redis: popularity module", "returned \(first.count) movies, not 20", verdict: false)
            return
        }
        let (baseline, _) = await percentiles(rounds: 2_000) {
            (try? await popularity.recommend(request, data: memory))?.count ?? 0
        }
        let (p50, p99) = await percentiles(rounds: 2_000) {
            (try? await popularity.recommend(request, data: served))?.count ?? 0
        }
        report("redis: popularity module, p50 / p99", "\(microseconds(p50)) / \(microseconds(p99))",
               target: "p50 ≤ 1 ms", verdict: p50 <= .milliseconds(1))
        report("  baseline: in-memory source, p50", microseconds(baseline))
    } catch {
        report("redis", "failed: \(error)", verdict: false)
    }
    await deleteKeys(of: hot, around: now)
}

/// Deletes the benchmark's hour sets (overall and per genre) for the day before `now`.
private func deleteKeys(of hot: HotMovies, around now: Date) async {
    let hour = Int((now.timeIntervalSince1970 / 3_600).rounded(.down))
    let genres = [nil] + SyntheticCatalog.genres.map(Optional.some)
    let keys = (hour - 25...hour).flatMap { hour in genres.map { hot.key(genre: $0, hour: hour) } }
    _ = try? await hot.redis.pipeline([["DEL"] + keys])
}
