import ArmoryCore
import ArmoryServer
import ArmoryStorage
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The results pages in a real browser (headless Chromium): an experiment with no data, two
/// arms, ten arms with long names, a paused one and one with rollbacks, over weeks of seeded
/// history. Every number the browser shows must be the API's JSON for the same moment, every
/// chart must draw one series per arm, and nothing may reach the console. Screenshots of each
/// page (desktop and phone widths) are kept in `.build/test-artifacts/results-pages/`.
@Suite("Results pages, rendered by Chromium")
struct ResultsPageTests {
    /// One experiment of the scenario: its file, and the history seeded before the server starts.
    struct Scenario {
        var id: String
        var yaml: String
        var rates: [Double]
        var hours: Int
        var decisionsPerHour: Int
        var updateEveryHours: Int
        /// Per arm, decisions its module overran and the fallback answered.
        var timeoutRates: [Double] = []
    }

    static let longNames = (0..<10).map { "variant-\($0)-collaborative-filtering-with-a-long-descriptive-name" }

    static let scenarios: [Scenario] = [
        Scenario(id: "no-data", yaml: fixed("no-data", arms: ["control", "treatment"]), rates: [], hours: 0, decisionsPerHour: 0, updateEveryHours: 0),
        Scenario(id: "two-arms", yaml: fixed("two-arms", arms: ["control", "treatment"]), rates: [0.10, 0.13], hours: 48,
                 decisionsPerHour: 40, updateEveryHours: 0, timeoutRates: [0, 0.05]),
        Scenario(id: "ten-arms", yaml: thompson("ten-arms", arms: longNames), rates: (0..<10).map { 0.05 + 0.004 * Double($0) },
                 hours: 30 * 24, decisionsPerHour: 30, updateEveryHours: 12),
        Scenario(id: "paused", yaml: fixed("paused", arms: ["control", "treatment"]), rates: [0.2, 0.2], hours: 24,
                 decisionsPerHour: 20, updateEveryHours: 0),
        Scenario(id: "rolled-back", yaml: thompson("rolled-back", arms: ["popular", "personal", "co-watched"]), rates: [0.12, 0.3, 0.09],
                 hours: 72, decisionsPerHour: 30, updateEveryHours: 6),
    ]

    static func fixed(_ id: String, arms: [String]) -> String {
        "id: \(id)\nobjective: ctr\nfallback: \(arms[0])\narms:\n"
            + arms.map { "  - { name: \($0), algorithm: popularity, weight: \(1.0 / Double(arms.count)) }\n" }.joined()
    }

    /// A Thompson experiment whose worker is not due while the test reads (it updates daily; the
    /// seeded history updated more often).
    static func thompson(_ id: String, arms: [String]) -> String {
        "id: \(id)\nobjective: ctr\npolicy: thompson\nfallback: \(arms[0])\narms:\n"
            + arms.map { "  - { name: \($0), algorithm: popularity, weight: \(1.0 / Double(arms.count)) }\n" }.joined()
            + "bandit:\n  update_every: 1d\n  burn_in: { min_trials_per_arm: 10, min_duration: 1s }\n  min_weight: 0.01\n"
            + "guardrails:\n  - { metric: fallback_rate, tolerance: 0.05, action: alert }\n"
    }

    @Test("every page shows the API's numbers, one series per arm in every chart, no console output; screenshots kept")
    func pages() async throws {
        let browser = try Browser.find()
        let folder = try TestServer.makeFolder(Dictionary(uniqueKeysWithValues: Self.scenarios.map { ("\($0.id).yaml", $0.yaml) }))
        defer { try? FileManager.default.removeItem(at: folder) }
        let configuration = TestServer.parameterConfiguration(in: folder)
        try await Self.seed(configuration, folder: folder)
        try await TestServer.run(configuration, over: .live) { client, _ in
            let port = try #require(client.port)
            // The paused and the rolled-back experiments get there through the admin API, as a person would.
            #expect(try await client.post("/v1/experiments/paused/pause", ["reason": "holiday traffic", "actor": "ana"]).status == .ok)
            #expect(try await client.post("/v1/experiments/rolled-back/rollback", ["to_version": 1, "reason": "too early <script>alert('x')</script>", "actor": "bo"]).status == .ok)
            #expect(try await client.post("/v1/experiments/rolled-back/rollback", ["to_arm": "personal", "reason": "the others are broken",
                                                                                  "actor": "cy"]).status == .ok)
            let artifacts = Self.artifactFolder()
            for scenario in Self.scenarios {
                let check = try await Self.check(page: "/experiments/\(scenario.id)", port: port, client: client, browser: browser)
                #expect(check.seriesPerChart == ["chart-rate": scenario.arms, "chart-pbest": scenario.arms, "chart-weights": scenario.arms],
                        "\(scenario.id)")
                try await Self.screenshots(of: "/experiments/\(scenario.id)", name: scenario.id, port: port, browser: browser, into: artifacts)
                try Self.expectContent(scenario, check.dom)
                try await Self.expectTimelineEndsAtResults(scenario.id, client: client)
            }
            let missing = try await client.execute(uri: "/experiments/no-such-experiment", method: .get)
            #expect(missing.status == .notFound && String(buffer: missing.body).contains("no experiment &#39;no-such-experiment&#39; is being served"))
            let list = try await Self.check(page: "/", port: port, client: client, browser: browser)
            for scenario in Self.scenarios { #expect(list.dom.contains("href=\"/experiments/\(scenario.id)\"")) }
            try await Self.screenshots(of: "/", name: "experiments", port: port, browser: browser, into: artifacts)
            try await Self.expectFilePauseShaded(folder: folder, client: client)
        }
    }

    /// A file edited to `status: paused` mid-phase (same arms: the phase goes on) shades the phase
    /// from that config version on, not the whole phase; the page shows it at its next load.
    static func expectFilePauseShaded(folder: URL, client: any TestClientProtocol) async throws {
        let file = folder.appendingPathComponent("experiments/two-arms.yaml")
        try (fixed("two-arms", arms: ["control", "treatment"]) + "status: paused\n").write(to: file, atomically: true, encoding: .utf8)
        #expect(try await client.post("/v1/admin/reload", ["reason": "paused in the file"]).status == .ok)
        let timeline = try await client.get("/v1/experiments/two-arms/timeline", as: ExperimentTimeline.self)
        let paused = try #require(timeline.markers.last { $0.kind == "config" }, "the edit is a config version, marked")
        #expect(timeline.overrides.map(\.status) == ["paused"] && timeline.overrides.first?.from == paused.at && timeline.overrides.first?.to == nil,
                "\(timeline.overrides)")
        #expect(timeline.since < paused.at, "the phase went on")
        let page = try await client.execute(uri: "/experiments/two-arms", method: .get)
        #expect(String(buffer: page.body).contains("status-paused\">paused<"), "a new config is a new state: not the kept read")
    }
}

extension ResultsPageTests.Scenario {
    var arms: Int { yaml.components(separatedBy: "  - { name:").count - 1 }
}
