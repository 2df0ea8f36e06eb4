import ArmoryCore
import ArmoryServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// An arm is its module with the fallback behind it: decisions the fallback answered count for
/// the arm, and every reader of the results sees how many there were and why.
@Suite("Fallbacks are visible: each decision records who served it; results count timeouts and errors per arm", .serialized)
struct FallbackVisibilityTests {
    /// A module that throws for users named `err-…`, awaits far past any budget for `slow-…`,
    /// and answers the others from the popular list: built as a user builds one.
    static func buildFlakyModule() throws -> URL {
        let directory = try SharedLibraryBuilder.temporaryDirectory("flaky-module")
        try SharedLibraryBuilder.swift("""
            import ArmoryKit
            struct Flaky: RecommendationAlgorithm {
                static let descriptor = AlgorithmDescriptor(name: "flaky", version: "1.0.0", summary: "fails on purpose")
                init(parameters: Parameters) throws {}
                func recommend(_ request: RecommendationRequest, data: any DataSource) async throws -> [ScoredItem] {
                    if request.userID.hasPrefix("err-") { throw AlgorithmError("no model for \\(request.userID)") }
                    if request.userID.hasPrefix("slow-") { try await Task.sleep(for: .seconds(5)) }
                    return try await data.filled([], to: request.limit, excluding: request.exclusions)
                }
            }
            @_cdecl("armory_module_entry")
            public func entry(hostABIVersion: UInt32, registrar: UnsafeMutableRawPointer) -> UInt32 {
                ArmoryModule.export([Flaky.self], hostABIVersion: hostABIVersion, registrar: registrar)
            }
            """, module: "Flaky", named: "libFlaky.so", in: directory, buildDirectory: BuiltModules.directory)
        return directory
    }

    static let experiment = """
        id: shaky
        objective: ctr
        policy: thompson
        fallback: steady
        time_budget: 100ms
        arms:
          - { name: steady, algorithm: popularity, weight: 0.5 }
          - { name: flaky, algorithm: flaky, weight: 0.5 }
        bandit:
          update_every: 1s
          burn_in: { min_trials_per_arm: 1, min_duration: 1s }
        """

    @Test("results (JSON, CSV), the weight versions' inputs and /metrics show each arm's fallbacks, timeouts and errors")
    func visible() async throws {
        let modules = try Self.buildFlakyModule()
        defer { try? FileManager.default.removeItem(at: modules) }
        let folder = try TestServer.makeFolder(["shaky.yaml": Self.experiment])
        defer { try? FileManager.default.removeItem(at: folder) }
        var configuration = TestServer.configuration(in: folder)
        configuration.moduleDirectories = [modules.path]
        try await TestServer.run(configuration) { client, armory in
            let live = try #require(armory.registry.experiment("shaky"))
            // Users of each kind until the flaky arm has 4 errors, 2 timeouts and 4 answers of its own.
            var wanted = ["err-": 4, "slow-": 2, "ok-": 4]
            var served: [String: RecommendationService.Recommendations] = [:]
            for index in 0..<400 where wanted.values.contains(where: { $0 > 0 }) {
                for (prefix, left) in wanted where left > 0 {
                    let user = "\(prefix)\(index)"
                    guard live.place(user).arm == "flaky", live.place(user).isCounted else { continue }
                    served[user] = try await client.recommend(user, in: "shaky")
                    wanted[prefix] = left - 1
                }
            }
            #expect(wanted.values.allSatisfy { $0 == 0 }, "\(wanted)")
            // And a few for the other arm, so the bandit has seen both.
            for user in (0..<100).map({ "steady-\($0)" }).filter({ live.place($0).arm == "steady" }).prefix(3) {
                _ = try await client.recommend(user, in: "shaky")
            }
            for (user, answer) in served {
                let failed = !user.hasPrefix("ok-")
                #expect(answer.arm == "flaky")
                #expect(answer.fallbackUsed == failed, "\(user)")
                #expect(answer.algorithm == (failed ? "popularity" : "flaky"), "\(user)")
            }

            // The impressions are written within the flush delay; read until all ten count.
            var results = try await client.get("/v1/experiments/shaky/results", as: ExperimentResults.self)
            for _ in 0..<50 where results.arms.first(where: { $0.arm == "flaky" })?.trials != 10 {
                try await Task.sleep(for: .milliseconds(100))
                results = try await client.get("/v1/experiments/shaky/results", as: ExperimentResults.self)
            }
            let flaky = try #require(results.arms.first { $0.arm == "flaky" })
            #expect(flaky.trials == 10)
            #expect(flaky.fallbacks == 6)
            #expect(flaky.timeouts == 2)
            #expect(flaky.errors == 4)
            #expect(flaky.fallbackRate == 0.6)
            #expect(results.warnings == ["arm 'flaky': 60.0% of its decisions were answered by the fallback arm 'steady' (2 timeouts, 4 errors): "
                + "its results are partly the fallback's"])

            let csv = String(buffer: try await client.execute(uri: "/v1/experiments/shaky/results?format=csv", method: .get).body)
            let lines = csv.split(separator: "\r\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            let header = try #require(lines.first)
            let row = try #require(lines.first { $0.count > 1 && $0[1] == "flaky" })
            #expect(row[header.firstIndex(of: "fallbacks")!] == "6")
            #expect(row[header.firstIndex(of: "timeouts")!] == "2")
            #expect(row[header.firstIndex(of: "errors")!] == "4")

            // The updater's next version records them in its inputs.
            func recordedInputs() async throws -> [ArmObservation] {
                let versions = try await client.get("/v1/experiments/shaky/weights", as: WeightHistory.self).versions
                return versions.first { $0.reason == .scheduled }?.inputs ?? []
            }
            var inputs = try await recordedInputs()
            for _ in 0..<50 where !inputs.contains(where: { $0.arm == "flaky" && $0.trials == 10 }) {
                try await Task.sleep(for: .milliseconds(200))
                inputs = try await recordedInputs()
            }
            let recorded = try #require(inputs.first { $0.arm == "flaky" })
            #expect(recorded.timeouts == 2 && recorded.errors == 4, "\(recorded)")

            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains(#"armory_module_failures_total{experiment="shaky",arm="flaky",kind="error"} 4"#))
            #expect(metrics.contains(#"armory_module_failures_total{experiment="shaky",arm="flaky",kind="timeout"} 2"#))
        }
    }
}
