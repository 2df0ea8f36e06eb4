import ArgumentParser
import ArmoryCore
import ArmoryServer
import Foundation
import Synchronization

/// `armory demo traffic`: simulated users ask a running server for recommendations and react.
struct DemoTrafficCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "traffic",
        abstract: "Send simulated users to a running server: they ask for recommendations, click, convert and watch.",
        discussion: """
        Users are the demo generator's (same --movies, --users and --seed as the server's demo catalog). Each \
        looks down the list and clicks the first movie that catches them, with a chance that grows with how well \
        the movie fits their favourite genres and falls with its position; a click sometimes converts and is \
        watched. Nothing here knows which arm served a list, so the better algorithm wins on its merits. At the \
        end it prints the click-through each arm earned and how the weights moved.
        """
    )

    @OptionGroup var connection: ServerConnectionOptions

    @Option(help: "The experiment to send users to.")
    var experiment = "because-you-watched"

    @Option(help: "How many recommendation requests to make.")
    var decisions = 5_000

    @Option(help: "Requests in flight at once.")
    var concurrency = 16

    @Option(help: "Movies per list.")
    var limit = 10

    @Option(help: "The demo catalog's movies (as the server seeded it).")
    var movies = 5_000

    @Option(help: "The demo catalog's users.")
    var users = 10_000

    @Option(help: "The demo catalog's seed.")
    var seed: UInt64 = 1

    @Option(help: "Seed of the users' choices.")
    var trafficSeed: UInt64 = 7

    func validate() throws {
        guard decisions >= 1 else { throw ValidationError("--decisions must be at least 1") }
        guard (1...256).contains(concurrency) else { throw ValidationError("--concurrency must be from 1 to 256") }
        guard users >= 1, movies >= 1 else { throw ValidationError("--users and --movies must be at least 1") }
    }

    func run() async throws {
        try await reportingFailures {
            let client = connection.client
            let audience = DemoAudience(data: DemoData(movies: movies, users: users, seed: seed))
            let tally = TrafficTally()
            let total = decisions
            let bar = ProgressBar(total: decisions, label: "decisions")
            let path = "/v1/recommendations?experiment=\(experiment)&limit=\(limit)&user_id="
            let started = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<concurrency {
                    let share = decisions / concurrency + (worker < decisions % concurrency ? 1 : 0)
                    group.addTask { [trafficSeed, users, path] in
                        var generator = Xoshiro256StarStar(seed: trafficSeed &+ UInt64(worker) &* 0x9E37_79B9_7F4A_7C15)
                        for _ in 0..<share {
                            let userIndex = Int(generator.nextUniform() * Double(users))
                            let served: RecommendationService.Recommendations
                            do {
                                served = try APIJSON.responseDecoder.decode(RecommendationService.Recommendations.self,
                                                                            from: try await client.get(path + "user-\(userIndex)"))
                            } catch let failure as ServerClient.Failure where failure.isUnavailable {
                                // A 503 (an arm and its fallback both overran, the queue was full): count it and go on.
                                tally.recordFailure()
                                continue
                            }
                            let reaction = audience.react(to: served.items.map(\.movieID), userIndex: userIndex, using: &generator)
                            if let events = Self.events(for: reaction, decision: served.decisionID, user: "user-\(userIndex)") {
                                _ = try await client.post("/v1/events", body: events)
                            }
                            let count = tally.record(arm: served.arm, clicked: reaction.click != nil, fallback: served.fallbackUsed)
                            if count % max(1, total / 100) == 0 || count == total { bar.update(count) }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let seconds = (ContinuousClock.now - started) / .seconds(1)
            print("\(decisions) requests in \(fixed(seconds, 1)) s (\(Int(Double(decisions) / seconds))/s)"
                + (tally.failures.withLock { $0 } > 0 ? "; \(tally.failures.withLock { $0 }) answered 503 and were skipped" : ""))
            var table = TextTable(header: ["arm", "decisions", "clicked", "click-through", "fallbacks"])
            for (arm, counts) in tally.byArm.sorted(by: { $0.key < $1.key }) {
                let decisions = Double(max(counts.decisions, 1))
                table.rows.append([arm, String(counts.decisions), String(counts.clicks), fixed(Double(counts.clicks) / decisions, 4),
                                   "\(counts.fallbacks) (\(ExperimentResults.percent(Double(counts.fallbacks) / decisions)))"])
            }
            print(table.rendered)
            for (arm, counts) in tally.byArm.sorted(by: { $0.key < $1.key })
            where Double(counts.fallbacks) > ExperimentResults.fallbackWarningRate * Double(counts.decisions) {
                print("warning: arm '\(arm)' was answered by its fallback in \(counts.fallbacks) of \(counts.decisions) decisions "
                    + "(its module failed or overran its budget); see `armory results \(experiment)`")
            }
            try await printWeights(client)
        }
    }

    /// The click, and after a conversion the conversion, the watch time and a view, as one batch.
    static func events(for reaction: DemoAudience.Reaction, decision: String, user: String) -> Data? {
        guard let click = reaction.click else { return nil }
        var events: [[String: Any]] = [
            ["event_id": UUID().uuidString, "type": "click", "decision_id": decision, "movie_id": click.movieID, "position": click.position],
        ]
        if reaction.converted {
            events.append(["event_id": UUID().uuidString, "type": "conversion", "decision_id": decision])
            events.append(["event_id": UUID().uuidString, "type": "engagement", "decision_id": decision, "value": reaction.watchedSeconds.rounded()])
            events.append(["event_id": UUID().uuidString, "type": "view", "user_id": user, "movie_id": click.movieID])
        }
        return try? JSONSerialization.data(withJSONObject: events)
    }

    private func printWeights(_ client: ServerClient) async throws {
        let data = try await client.get("/v1/experiments/\(experiment)/weights?limit=1000")
        let history = try APIJSON.responseDecoder.decode(WeightHistory.self, from: data)
        guard let newest = history.versions.first, let oldest = history.versions.last else { return }
        func line(_ version: WeightVersion) -> String {
            "v\(version.version) (\(version.reason.rawValue)): " + zip(version.arms, version.weights).map { "\($0) \(fixed($1, 3))" }.joined(separator: ", ")
        }
        print("weights: \(line(oldest))")
        if newest.version != oldest.version {
            print("      → \(line(newest))  [\(history.total) versions]")
        } else {
            print("weights have not moved yet (a Thompson experiment waits for burn-in and its update_every)")
        }
    }

    /// Decisions, clicks and fallbacks per arm, counted from the responses (for the summary only).
    private final class TrafficTally: Sendable {
        typealias Counts = (decisions: Int, clicks: Int, fallbacks: Int)
        private let state = Mutex<(byArm: [String: Counts], done: Int)>(([:], 0))

        /// Counts one decision; returns how many are done.
        func record(arm: String, clicked: Bool, fallback: Bool) -> Int {
            state.withLock { state in
                state.byArm[arm, default: (0, 0, 0)].decisions += 1
                if clicked { state.byArm[arm]!.clicks += 1 }
                if fallback { state.byArm[arm]!.fallbacks += 1 }
                state.done += 1
                return state.done
            }
        }

        /// Counts one request the server could not answer.
        func recordFailure() {
            failures.withLock { $0 += 1 }
        }

        var byArm: [String: Counts] { state.withLock { $0.byArm } }
        let failures = Mutex(0)
    }
}
