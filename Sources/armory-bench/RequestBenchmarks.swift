import ArmoryCore
import ArmoryServer
import ArmoryStorage
import Foundation

/// The work the recommendation route does besides the module call, piece by piece, on one
/// thread: what each request costs before HTTP. Allocations are counted, since they are
/// most of the cost at these sizes.
func benchmarkRequestPieces() {
    let signer = DecisionSigner(secret: Array("a secret of at least sixteen bytes".utf8))
    let time = Date(timeIntervalSince1970: 1_795_608_000.123)
    let decision = Decision(experiment: "bench", arm: "week", configVersion: 3, weightVersion: 12, userID: "user-4711",
                            time: time, nonce: 0x0123_4567_89AB_CDEF, items: (1...10).map { 1_000 + $0 * 37 })
    piece("sign a decision id (10 movies)") { index in
        var decision = decision
        decision.nonce &+= UInt64(index)
        sink += Double(signer.id(for: decision).utf8.count)
    }

    let assigner = Assigner(seed: "bench", weights: [0.5, 0.5])
    let users = (0..<1_000).map { "user-\($0)" }
    piece("place a user (hash + weights)") { index in
        if case .arm(let arm) = assigner.assign(users[index % users.count]) { sink += Double(arm) }
    }

    let metrics = ServerMetrics()
    piece("count the decision (a labelled counter)") { index in
        metrics.increment("armory_decisions_total", [("experiment", "bench"), ("arm", index & 1 == 0 ? "week" : "month"), ("counted", "true")])
    }

    let answer = RecommendationService.Recommendations(
        decisionID: signer.id(for: decision), experiment: "bench", arm: "week", algorithm: "popularity", inExperiment: true,
        fallbackUsed: false,
        items: (1...10).map { .init(movieID: 1_000 + $0 * 37, title: "The Quiet River, part \($0)", score: Double(5_000 - $0 * 41)) })
    piece("write the response JSON (10 movies)") { _ in
        sink += Double(answer.jsonBuffer().readableBytes)
    }

    let impression = Event(eventID: answer.decisionID, type: .impression, time: time, decisionID: answer.decisionID, experiment: "bench",
                           arm: "week", configVersion: 3, weightVersion: 12, decisionTime: time, userID: "user-4711",
                           items: answer.items.map(\.movieID))
    let spool = FileManager.default.temporaryDirectory.appendingPathComponent("armory-bench-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: spool) }
    var configuration = EventWriter.Configuration(spoolDirectory: spool)
    configuration.capacity = 10_000_000
    do {
        let store = try SQLiteMetricsStore(path: spool + ".sqlite")
        defer { try? FileManager.default.removeItem(atPath: spool + ".sqlite") }
        let writer = try EventWriter(destination: store, configuration: configuration)
        piece("queue the impression (not running: no flush)") { _ in
            try? writer.enqueue([impression])
        }
    } catch {
        report("request: queue the impression", "failed: \(error)", verdict: false)
    }
}

private func piece(_ name: String, _ body: (Int) -> Void) {
    let iterations = 200_000
    let nanoseconds = Measure.nanosecondsPerIteration(iterations: iterations, body)
    let allocations = Double(Measure.allocations { for index in 0..<10_000 { body(index) } }) / 10_000
    report("request: \(name)", String(format: "%.2f µs, %.1f allocations", nanoseconds / 1_000, allocations))
}
