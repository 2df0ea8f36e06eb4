import ArmoryCore
import ArmoryKit
import ArmoryServer
import ArmoryStorage
import Foundation
import Logging

/// A trained model served as an arm serves it: ALS trained on the demo data (5,000 movies,
/// 10,000 users, 64 factors) through `ModelTraining`, its artifact stored in a folder, then
/// loaded (fetched, checked, decoded) and asked for ten movies per user through the server's
/// `StoreDataSource` over SQLite, cold (the user's history read from the store) and warm;
/// `history`, which reads the same history and does little else, is the baseline. The
/// comparison with the `implicit` library is `scripts/bench-models.sh`'s (it needs Python).
func benchmarkModels() async {
    var registry = AlgorithmRegistry()
    let quiet = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
    _ = ModuleLoader(directories: ModuleLoader.defaultDirectories()).load(into: &registry, logger: quiet)
    guard registry.trainer(named: "als") != nil, registry.servesModels("matrix-factorization") else {
        report("models", "the MatrixFactorization module is not loaded", verdict: false)
        return
    }
    let loaded = registry
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("armory-bench-models-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    do {
        try await StateStoreLocation.sqlite(path: directory.appendingPathComponent("models.sqlite").path).withStore(logger: quiet) { store in
            _ = try await DemoSeeder(data: DemoData(movies: 5_000, users: 10_000, seed: 1)).seed(into: store)
            let artifacts = ArtifactCache(store: FolderArtifactStore(folder: directory.appendingPathComponent("artifacts")), local: nil)
            try await benchmarkModelServing(store: store, models: ModelRegistry(store: store, artifacts: artifacts), registry: loaded)
        }
    } catch {
        report("models", "failed: \(error)", verdict: false)
    }
}

private func benchmarkModelServing(store: any StateStore, models: ModelRegistry, registry: AlgorithmRegistry) async throws {
    let clock = ContinuousClock()
    let trainStart = clock.now
    let (version, _) = try await ModelTraining(store: store, models: models, algorithms: registry).run(.init(
        trainer: "als", name: "bench-mf", parameters: ["factors": .integer(64)], testFraction: nil, actor: "bench"))
    report("models: ALS trained on the demo data (64 factors)", String(format: "%.2f s (training %.2f s)", seconds(clock.now - trainStart),
                                                                         version.trainingSeconds ?? 0), target: "see bench-models.sh")
    let parameters: [String: ParameterValue] = ["model": .string("bench-mf@\(version.version)")]
    var loads: [Duration] = []
    var algorithm: (any RecommendationAlgorithm)?
    for _ in 0..<5 {
        let start = clock.now
        algorithm = try registry.makeAlgorithm(named: "matrix-factorization", parameters: parameters, model: try await models.load(version))
        loads.append(clock.now - start)
    }
    let load = loads.sorted()[2]
    report("models: load a version (fetch, check, decode)", "\(microseconds(load)), \(version.artifactBytes / 1_000) kB", target: "≤ 1 s",
           verdict: load <= .seconds(1))
    // The baseline reads the same history per call: `history`, the built-in personal module.
    guard let algorithm, let baselineAlgorithm = try? registry.makeAlgorithm(named: "history") else { return }
    let data = StoreDataSource(store: store, coWatch: CoWatchLists(store: store))
    _ = try await data.catalog()
    var generator = Xoshiro256StarStar(seed: 21)
    let users = (0..<2_000).map { _ in "user-\(Int(generator.nextUniform() * 10_000))" }
    for warm in [false, true] {
        // The baseline first: its cold pass forgets the histories too, which would otherwise
        // leave the model's warm pass reading them from the store.
        let baseline = try await timings(users.count) { index in
            if !warm { data.forgetHistory(of: users[index]) }
            sink += Double(try await baselineAlgorithm.recommend(RecommendationRequest(userID: users[index], limit: 10), data: data).count)
        }
        let (p50, p99) = try await timings(users.count) { index in
            if !warm { data.forgetHistory(of: users[index]) }
            sink += Double(try await algorithm.recommend(RecommendationRequest(userID: users[index], limit: 10), data: data).count)
        }
        // Cold, both read the user's history from the store first: the model is held to 100 µs beyond that read.
        let limit: Duration = warm ? .microseconds(100) : baseline.p50 + .microseconds(100)
        report("models: matrix-factorization, \(warm ? "warm" : "cold"), p50 / p99", "\(microseconds(p50)) / \(microseconds(p99))",
               target: "p50 ≤ \(warm ? "" : "history's + ")100 µs (history \(microseconds(baseline.p50)))", verdict: p50 <= limit)
    }
    let newcomer = UserEvent(userID: "bench-new-user", movieID: 17, time: Date())
    try await store.appendViews([newcomer, UserEvent(userID: "bench-new-user", movieID: 42, time: Date())])
    data.forgetHistory(of: "bench-new-user")
    _ = try await data.history(of: "bench-new-user", since: nil)
    let folded = try await timings(2_000) { _ in
        sink += Double(try await algorithm.recommend(RecommendationRequest(userID: "bench-new-user", limit: 10), data: data).count)
    }
    report("models: matrix-factorization, a user folded in, p50 / p99", "\(microseconds(folded.p50)) / \(microseconds(folded.p99))",
           target: "p50 ≤ 100 µs", verdict: folded.p50 <= .microseconds(100))
}
