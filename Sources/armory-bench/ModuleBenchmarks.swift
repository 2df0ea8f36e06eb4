import ArmoryCore
import ArmoryKit
import ArmoryServer
import Foundation
import Logging

/// `recommend` latency of each built-in module, loaded as the host loads it, over an in-memory
/// catalog of 10,000 movies and 2,000 users, for a user with 1,000 views.
func benchmarkModules() async {
    var registry = AlgorithmRegistry()
    let loadReport = ModuleLoader(directories: ModuleLoader.defaultDirectories())
        .load(into: &registry, logger: Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() })
    if let advice = loadReport.emptyAdvice {
        report("recommend latency", "no modules", target: "", verdict: false)
        print("       \(advice)")
        return
    }
    let now = Date(timeIntervalSince1970: 1_795_608_000)
    let synthetic = SyntheticCatalog(movies: 10_000, users: 2_000, viewsPerUser: 50, heavyUserViews: 1_000, now: now)
    let data = synthetic.dataSource()
    // The first popularity request counts every view in the window; later ones hit the cached
    // list, as they do in production (the StateStore and Redis sources cache it too).
    if let popularity = try? registry.makeAlgorithm(named: "popularity") {
        let clock = ContinuousClock()
        let start = clock.now
        let items = try? await popularity.recommend(RecommendationRequest(userID: "heavy", limit: 20, time: now), data: data)
        sink += Double(items?.count ?? 0)
        report("recommend: popularity, first call (uncached)", microseconds(clock.now - start))
    }
    let targets: [(name: String, p50: Duration)] = [
        ("popularity", .microseconds(50)), ("history", .milliseconds(1)), ("item-to-item", .milliseconds(1)), ("random", .milliseconds(1)),
    ]
    var directPopularity: Duration?
    for (name, target) in targets {
        guard let algorithm = try? registry.makeAlgorithm(named: name) else {
            report("recommend: \(name)", "not loaded", verdict: false)
            continue
        }
        let (p50, p99) = await percentiles {
            let request = RecommendationRequest(userID: "heavy", limit: 20, time: now)
            return (try? await algorithm.recommend(request, data: data))?.count ?? 0
        }
        if name == "popularity" { directPopularity = p50 }
        report("recommend: \(name), p50 / p99", "\(microseconds(p50)) / \(microseconds(p99))",
               target: "p50 ≤ \(microseconds(target))", verdict: p50 <= target)
    }

    // The same popularity call as the host makes it: on a module thread, under a time budget.
    let experiment = Experiment(id: "bench", objective: .ctr, fallback: "hot", arms: [Arm(name: "hot", algorithm: "popularity", weight: 1)])
    if let direct = directPopularity,
       let guarded = try? ArmRecommender(experiment: experiment, registry: registry, failures: ArmFailureCounts()) {
        let (p50, p99) = await percentiles {
            let request = RecommendationRequest(userID: "heavy", limit: 20, time: now)
            return (try? await guarded.recommend(arm: "hot", request, data: data))?.items.count ?? 0
        }
        report("  popularity via ArmRecommender, p50 / p99", "\(microseconds(p50)) / \(microseconds(p99))")
        report("    cost of isolation (budget + own task)", microseconds(p50 - direct))
    }
}

/// The median and 99th percentile of `rounds` timed calls, after a tenth as many that warm caches.
func percentiles(rounds: Int = 2_000, _ call: () async -> Int) async -> (p50: Duration, p99: Duration) {
    var samples: [Duration] = []
    let clock = ContinuousClock()
    let warming = rounds / 10
    for round in 0..<(warming + rounds) {
        let start = clock.now
        let count = await call()
        let elapsed = clock.now - start
        if round >= warming { samples.append(elapsed) }
        sink += Double(count)
    }
    samples.sort()
    return (samples[samples.count / 2], samples[samples.count * 99 / 100])
}

func microseconds(_ duration: Duration) -> String {
    let (seconds, attoseconds) = duration.components
    let value = Double(seconds) * 1e6 + Double(attoseconds) / 1e12
    return value >= 1_000 ? String(format: "%.2f ms", value / 1_000) : String(format: "%.1f µs", value)
}

/// A synthetic catalog for benchmarks: movies with 1–3 of 18 genres and a long-tail
/// popularity, users with a taste for a few genres, and one heavy user.
struct SyntheticCatalog {
    var movies: Int
    var users: Int
    var viewsPerUser: Int
    var heavyUserViews: Int
    var now: Date

    static let genres = ["action", "adventure", "animation", "comedy", "crime", "documentary", "drama", "family", "fantasy",
                         "history", "horror", "music", "mystery", "romance", "sci-fi", "thriller", "war", "western"]

    func dataSource() -> InMemoryDataSource {
        var generator = Xoshiro256StarStar(seed: 2026)
        let catalog = (1...movies).map { id in
            let count = 1 + Int(generator.nextUniform() * 3)
            let genres = (0..<count).map { _ in Self.genres[Int(generator.nextUniform() * Double(Self.genres.count))] }
            return Movie(id: id, title: "Movie \(id)", genres: Array(Set(genres)).sorted(), year: 1950 + Int(generator.nextUniform() * 76))
        }
        func popularMovie() -> Int { zipfMovie(&generator) }
        var views: [String: [HistoryEvent]] = [:]
        for user in 0..<users {
            views["user-\(user)"] = (0..<viewsPerUser).map { _ in
                HistoryEvent(movieID: popularMovie(), time: now.addingTimeInterval(-generator.nextUniform() * 30 * 86_400))
            }
        }
        views["heavy"] = (0..<heavyUserViews).map { _ in
            HistoryEvent(movieID: popularMovie(), time: now.addingTimeInterval(-generator.nextUniform() * 120 * 86_400))
        }
        return InMemoryDataSource(catalog: catalog, views: views)
    }

    /// A movie of the long tail: movie i is picked with weight ∝ 1/i (a Zipf law), by
    /// inverting its CDF (H(n) ≈ ln n + γ).
    func zipfMovie(_ generator: inout Xoshiro256StarStar) -> Int {
        let harmonic = log(Double(movies)) + 0.5772
        return min(movies, max(1, Int(exp(generator.nextUniform() * harmonic - 0.5772))))
    }
}
