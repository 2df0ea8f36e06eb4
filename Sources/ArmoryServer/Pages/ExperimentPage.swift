import ArmoryCore
import ArmoryStorage
import Foundation

/// `GET /experiments/{id}`: one experiment's results as a page: who leads and how sure that is,
/// the leaderboard, the charts over time with every change marked, health, and the history.
struct ExperimentPage {
    /// Rows of weight history and audit log shown; the JSON links have the rest.
    static let historyRows = 20

    let report: ResultsReader.Report

    var results: ExperimentResults { report.results }
    var id: String { report.live.id }

    /// The JSON each number on the page is bound to (``PageFormat/bound(_:_:_:)``).
    var sources: (results: String, timeline: String, weights: String, audit: String) {
        let base = "/v1/experiments/\(id)"
        let until = report.timeline.until.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        return ("\(base)/results", "\(base)/timeline?until=\(until)", "\(base)/weights?limit=\(Self.historyRows)", "\(base)/audit?limit=\(Self.historyRows)")
    }

    func render() -> HTML {
        let charts = TimelineCharts(timeline: report.timeline, source: sources.timeline)
        let body: HTML = """
            <header><nav><a href="/">Armory</a> › experiments</nav><h1>\(id)</h1>\
            <p class="lede">\(report.live.experiment.description)</p></header>\
            <main>\(headline())\(leaderboard())\(overTime(charts))\(health())\(history())</main>
            """
        return PageLayout.page(title: "\(id): results", body: body)
    }

    /// Status in one line, who leads and how sure, what moving traffic gained, and the warnings.
    private func headline() -> HTML {
        let live = report.live
        let facts: HTML = """
            <p class="facts"><span class="status status-\(results.status)">\(results.status)</span> \
            \(results.objective.rawValue) · \(live.experiment.policy == .thompson ? "Thompson sampling" : "fixed split") · \
            config v\(PageFormat.bound(String(results.configVersion), sources.results, "config_version")) · \
            weights v\(PageFormat.bound(String(results.weightVersion), sources.results, "weight_version")) · \
            since \(PageFormat.bound(PageFormat.time(results.phaseStart), sources.results, "phase_start")) UTC · \
            read at \(PageFormat.bound(PageFormat.time(report.timeline.until), sources.timeline, "until")) UTC</p>
            """
        let warnings: [HTML] = results.warnings.map { "<li>\($0)</li>" }
        return """
            <section id="summary" aria-label="Summary">\(facts)<p class="leader">\(leader())</p>\(gain())\
            \(warnings.isEmpty ? "" : "<ul class=\"warnings\">\(warnings)</ul>" as HTML)</section>
            """
    }

    private func leader() -> HTML {
        guard let index = results.leaderIndex else {
            return "No arm leads yet: every arm needs decisions before P(best) can be computed."
        }
        let arm = results.arms[index]
        let sure = arm.probabilityBest! >= 0.95 ? "very likely the best" : arm.probabilityBest! >= 0.75 ? "probably the best" : "not yet clearly the best"
        return """
            <strong>\(arm.arm)</strong> leads: P(best) \(PageFormat.bound(PageFormat.percent(arm.probabilityBest, 1), sources.results, "arms.\(index).probability_best")), \
            \(sure); choosing it loses \(PageFormat.bound(PageFormat.decimal(arm.expectedLoss, 5), sources.results, "arms.\(index).expected_loss")) \
            in expectation.
            """
    }

    private func gain() -> HTML {
        guard let gain = results.gainOverEqualSplit else { return "" }
        let unit = results.objective == .engagement ? "engagement" : results.objective == .ctr ? "clicks" : "conversions"
        return """
            <p>Against an equal split of the same decisions, the weights in force gained \
            \(PageFormat.bound(PageFormat.signed(gain, 1), sources.results, "gain_over_equal_split")) \(unit) \
            (\(PageFormat.bound(PageFormat.percent(results.gainOverEqualSplitShare, 1), sources.results, "gain_over_equal_split_share"))), \
            by the arms' observed rates (each arm's weight averaged over the phase's decisions).</p>
            """
    }

    /// Per arm: the totals, the posterior with its interval on a common axis, P(best), loss, weight, gain.
    private func leaderboard() -> HTML {
        let lows = results.arms.compactMap(\.intervalLow)
        let highs = results.arms.compactMap(\.intervalHigh)
        let axis = (lows.min() ?? 0)...max(highs.max() ?? 1, (lows.min() ?? 0) + 1e-9)
        let rows: [HTML] = results.arms.enumerated().map { index, arm in
            let path = "arms.\(index)"
            func cell(_ text: String, _ field: String) -> HTML { "<td>\(PageFormat.bound(text, sources.results, "\(path).\(field)"))</td>" }
            return """
                <tr><th scope="row"><span class="swatch" style="background:\(Palette.colour(index))"></span>\(arm.arm)\
                \(arm.isDropped ? "<span class=\"badge\">dropped</span>" : "" as HTML)</th><td class="text">\(arm.algorithm)</td>\
                \(cell(PageFormat.count(arm.trials), "trials"))\(cell(PageFormat.count(arm.successes), "successes"))\
                \(cell(PageFormat.decimal(arm.rate, 4), "rate"))\(cell(PageFormat.decimal(arm.posteriorMean, 4), "posterior_mean"))\
                <td class="interval">\(IntervalBar(axis: axis, colour: Palette.colour(index)).svg(arm))\
                [\(PageFormat.bound(PageFormat.decimal(arm.intervalLow, 4), sources.results, "\(path).interval_low")), \
                \(PageFormat.bound(PageFormat.decimal(arm.intervalHigh, 4), sources.results, "\(path).interval_high"))]</td>\
                \(cell(PageFormat.percent(arm.probabilityBest, 1), "probability_best"))\(cell(PageFormat.decimal(arm.expectedLoss, 5), "expected_loss"))\
                \(cell(PageFormat.decimal(arm.weight, 3), "weight"))\(cell(PageFormat.signed(arm.gainOverEqualSplit, 1), "gain_over_equal_split"))</tr>
                """
        }
        return """
            <section id="leaderboard"><h2>Leaderboard</h2><div class="scroll"><table><caption>Each arm in the current phase: the 95% \
            interval of its posterior is drawn on one axis for all arms; the last column is what its weight gained over an equal \
            split.</caption><thead><tr><th scope="col">arm</th><th scope="col">algorithm</th><th scope="col">trials</th>\
            <th scope="col">successes</th><th scope="col">rate</th><th scope="col">posterior mean</th><th scope="col">95% interval</th>\
            <th scope="col">P(best)</th><th scope="col">expected loss</th><th scope="col">weight</th><th scope="col">vs equal split</th>\
            </tr></thead><tbody>\(rows)</tbody></table></div></section>
            """
    }

    /// The charts, the numbered changes they mark, and their data.
    private func overTime(_ charts: TimelineCharts) -> HTML {
        let changes: [HTML] = charts.changes.enumerated().map { number, change in
            """
            <tr id="change-\(String(number + 1))"><th scope="row">\(String(number + 1))</th>\
            <td>\(PageFormat.bound(PageFormat.time(change.marker.at), sources.timeline, "markers.\(change.index).at"))</td>\
            <td class="text">\(change.marker.kind)</td><td class="text">\(change.marker.actor)</td><td class="text">\(change.marker.summary)</td></tr>
            """
        }
        let changeTable: HTML = changes.isEmpty ? "<p>No changes in this phase.</p>" : """
            <div class="scroll"><table id="changes"><caption>Changes in this phase, numbered as on the charts (times in UTC); \
            the worker's scheduled updates are the ticks under the weights chart and in the weight history below.</caption><thead><tr>\
            <th scope="col">#</th><th scope="col">when</th><th scope="col">what</th><th scope="col">who</th><th scope="col">entry</th>\
            </tr></thead><tbody>\(changes)</tbody></table></div>
            """
        let width = DurationText.format(.seconds(report.timeline.bucketSeconds))
        return """
            <section id="over-time"><h2>Over time</h2>\
            <figure>\(charts.rate())<figcaption>Cumulative rate per arm since the phase began, with its 95% interval.</figcaption></figure>\
            <figure>\(charts.probabilityBest())<figcaption>P(best) per arm from the data up to each point, stacked.</figcaption></figure>\
            <figure>\(charts.weights())<figcaption>The weights in force, stacked: how traffic was split. Grey stretches on the \
            charts: paused, or pinned to one arm by a rollback, when traffic did not follow the weights.</figcaption></figure>\
            \(changeTable)<details><summary>The charts' data (one row per \(width))</summary>\(charts.table())</details></section>
            """
    }
}
