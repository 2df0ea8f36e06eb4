import ArmoryCore
import ArmoryServer
import ArmoryStorage
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

extension ResultsPageTests {
    /// Writes each scenario's history into the server's stores before it starts: config version 1
    /// and the first weights at the history's start, so the server carries that phase on.
    static func seed(_ configuration: ServerConfiguration, folder: URL) async throws {
        guard case .sqlite(let statePath) = configuration.stateLocation, case .sqlite(let metricsPath) = configuration.metricsLocation else {
            throw TestFailure("the page test seeds the embedded stores")
        }
        try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        let state = try SQLiteStateStore(path: statePath)
        try await state.migrate()
        let metrics = try SQLiteMetricsStore(path: metricsPath)
        try await metrics.prepare()
        let now = Date()
        for scenario in scenarios where scenario.hours > 0 {
            let decoded = ExperimentDecoder(algorithms: nil).decode(ExperimentSource(path: "\(scenario.id).yaml", text: scenario.yaml))
            let experiment = try #require(decoded.experiment, "\(decoded.problems)")
            var history = SyntheticHistory(experiment: experiment, rates: scenario.rates,
                                           start: now.addingTimeInterval(-Double(scenario.hours) * 3_600 - 600), hours: scenario.hours,
                                           decisionsPerHour: scenario.decisionsPerHour, updateEveryHours: scenario.updateEveryHours, seed: 7)
            history.timeoutRates = scenario.timeoutRates
            let file = folder.appendingPathComponent("experiments/\(scenario.id).yaml").path
            try await HistorySeeder.write(history, yaml: scenario.yaml, file: file, state: state, metrics: metrics)
        }
        // A guardrail dropped one of the ten arms five minutes ago, as the worker records it.
        let last = try #require(try await state.weightVersions(of: "ten-arms").last)
        let dropped = longNames[1]
        _ = try await state.appendWeightVersion(last.dropping(dropped, fallback: longNames[0], actor: "worker", note: "guardrail 1",
                                                              at: now.addingTimeInterval(-300)))
        _ = try await state.appendAuditEntry(NewAuditEntry(experimentID: "ten-arms", actor: "worker", action: "guardrail",
                                                           reason: "fallback_rate of '\(dropped)' above its tolerance", detail: "{}",
                                                           createdAt: now.addingTimeInterval(-300)))
    }

    /// Renders `page` in the browser and checks it against the API; the check, for more.
    static func check(page: String, port: Int, client: any TestClientProtocol, browser: Browser) async throws -> PageCheck {
        let response = try await client.execute(uri: page, method: .get)
        #expect(response.status == .ok, "\(page)")
        #expect(response.headers[.contentType] == "text/html; charset=utf-8")
        #expect(response.headers[.contentSecurityPolicy]?.hasPrefix("default-src 'none'") == true, "\(page): no script may run")
        let (dom, console) = try await browser.render("http://127.0.0.1:\(port)\(page)")
        #expect(console.isEmpty, "\(page) printed to the console: \(console)")
        #expect(!dom.contains("<script") && !dom.contains("<form"), "\(page) is read-only and has no scripts")
        let check = PageCheck(dom: dom)
        #expect(check.unboundCells.isEmpty, "\(page): numbers not tied to the API: \(check.unboundCells.prefix(5))")
        var answers: [String: Any] = [:]
        var mismatches: [String] = []
        for number in check.bound {
            if answers[number.route] == nil {
                let json = try await client.execute(uri: number.route, method: .get)
                #expect(json.status == .ok, "\(number.route)")
                answers[number.route] = try JSONSerialization.jsonObject(with: Data(buffer: json.body))
            }
            guard let value = PageCheck.value(at: number.path, in: answers[number.route]!) else {
                mismatches.append("\(number.route) \(number.path): no such field")
                continue
            }
            if !PageCheck.shows(number.text, value) { mismatches.append("\(number.route) \(number.path): page '\(number.text)', API \(value)") }
        }
        #expect(mismatches.isEmpty, "\(page): \(mismatches.count) of \(check.bound.count) numbers differ: \(mismatches.prefix(5))")
        #expect(check.bound.count > 0 || page == "/", "\(page) shows no numbers")
        return check
    }

    /// Desktop and phone screenshots of `page`, checked to be PNGs.
    static func screenshots(of page: String, name: String, port: Int, browser: Browser, into folder: URL) async throws {
        for (suffix, width) in [("", 1280), ("-phone", 390)] {
            let file = folder.appendingPathComponent("\(name)\(suffix).png")
            try? FileManager.default.removeItem(at: file)
            try await browser.screenshot("http://127.0.0.1:\(port)\(page)", to: file, width: width, height: 3_200)
            let bytes = try Data(contentsOf: file)
            #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) && bytes.count > 10_000, "\(file.path) is not a screenshot")
        }
    }

    /// What each scenario's page must say beyond its numbers.
    static func expectContent(_ scenario: Scenario, _ dom: String) throws {
        switch scenario.id {
        case "no-data":
            #expect(dom.contains("No arm leads yet"))
        case "ten-arms":
            for name in longNames { #expect(dom.contains(">\(name)<"), "\(name) is missing") }
            #expect(dom.contains("\(longNames[1])<span class=\"badge\">dropped</span>"), "the dropped arm is marked")
            #expect(dom.contains("guardrail by worker: fallback_rate of"), "the drop is in the list of changes")
            #expect(dom.contains("class=\"tick\""), "the worker's scheduled updates are marked")
        case "paused":
            #expect(dom.contains("status-paused\">paused<"))
            #expect(dom.contains("pause by ana: holiday traffic"), "the pause is in the list of changes")
            #expect(dom.contains("<rect class=\"override\"") && dom.contains("paused: every unit got the fallback arm"), "the pause is shaded")
        case "rolled-back":
            #expect(dom.contains("rollback by bo: too early") && dom.contains("rollback by cy: the others are broken"))
            // Two rollbacks, two numbered marks on each of the three charts.
            #expect(dom.components(separatedBy: "<a class=\"mark\" href=\"#change-").count - 1 == 6)
            #expect(dom.contains("<tr id=\"change-2\">"), "each mark links to its row")
            #expect(dom.contains("pinned to &#39;personal&#39;") || dom.contains("pinned to 'personal'"), "the pin is shaded")
        default:
            #expect(dom.contains("leads: P(best)"))
            #expect(dom.contains("<ul class=\"warnings\"><li>arm 'treatment': "), "the fallback warning is a list item")
        }
    }

    /// The timeline's last point is the results: the same totals, and P(best) from them.
    static func expectTimelineEndsAtResults(_ id: String, client: any TestClientProtocol) async throws {
        let results = try await client.get("/v1/experiments/\(id)/results", as: ExperimentResults.self)
        let timeline = try await client.get("/v1/experiments/\(id)/timeline", as: ExperimentTimeline.self)
        let last = try #require(timeline.points.last)
        #expect(last.arms.map(\.trials) == results.arms.map(\.trials), "\(id)")
        #expect(last.arms.map(\.successes) == results.arms.map(\.successes), "\(id)")
        for (point, arm) in zip(last.arms, results.arms) {
            #expect(abs((point.probabilityBest ?? -1) - (arm.probabilityBest ?? -1)) < 1e-9 || arm.trials == 0, "\(id) \(arm.arm)")
            #expect(point.intervalLow == arm.intervalLow && point.intervalHigh == arm.intervalHigh, "\(id) \(arm.arm)")
        }
        // What the weights gained, the other way round: N·Σ (w̄ − 1/K)·r, with no centring; exactly
        // 0 where the weights never left an equal split.
        if let gain = results.gainOverEqualSplit {
            let decisions = Double(results.arms.map(\.trials).reduce(0, +))
            let equal = 1 / Double(results.arms.count)
            let expected = decisions * results.arms.map { (($0.averageWeight ?? .nan) - equal) * ($0.rate ?? .nan) }.reduce(0, +)
            #expect(abs(gain - expected) < 1e-6 * max(1, abs(expected)), "\(id): \(gain) against \(expected)")
            if ["two-arms", "paused"].contains(id) { #expect(abs(gain) < 1e-9, "\(id): an equal split gains nothing") }
        } else {
            #expect(results.arms.contains { $0.trials == 0 }, "\(id): a gain once every arm has decisions")
        }
        let expected: [String: String] = ["paused": "paused", "rolled-back": "pinned"]
        #expect(timeline.overrides.map(\.status) == expected[id].map { [$0] } ?? [], "\(id): \(timeline.overrides)")
        #expect(timeline.overrides.allSatisfy { $0.to == nil }, "\(id): still paused or pinned")
        #expect(timeline.points.count <= ExperimentTimeline.maximumPoints)
        #expect(zip(timeline.points, timeline.points.dropFirst()).allSatisfy { $0.end <= $1.start }, "points in order, not overlapping")
    }

    /// Where the screenshots go: kept after the run, never committed (`.build/` is ignored).
    static func artifactFolder() -> URL {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let folder = root.appendingPathComponent(".build/test-artifacts/results-pages")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }
}
