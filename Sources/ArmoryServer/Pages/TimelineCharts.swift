import ArmoryCore
import Foundation

/// The results page's three charts of a timeline (cumulative rate with its interval, P(best)
/// stacked, weights stacked), each with its data as a table for readers who cannot see it.
struct TimelineCharts {
    let timeline: ExperimentTimeline
    /// The timeline's JSON, which the data table's numbers are bound to.
    let source: String

    /// The changes numbered on the charts (everything but the worker's scheduled updates), with
    /// their places among the timeline's markers.
    var changes: [(index: Int, marker: ExperimentTimeline.Marker)] {
        timeline.markers.enumerated().filter { $0.element.kind != "scheduled" }.map { ($0.offset, $0.element) }
    }

    /// The numbered changes, for the rate and P(best) charts.
    private var changeMarks: [TimeChart.Mark] { marks.filter { $0.number != nil } }

    /// Every change and the worker's updates as ticks, for the weights chart.
    private var marks: [TimeChart.Mark] {
        var number = 0
        return timeline.markers.map { marker in
            guard marker.kind != "scheduled" else { return TimeChart.Mark(at: marker.at, text: marker.summary, number: nil) }
            number += 1
            return TimeChart.Mark(at: marker.at, text: marker.summary, number: number)
        }
    }

    /// Where the charts' time axis ends: the last bucket where a decision was made, or the last
    /// change, whichever is later (not the moment the page was read, which would squeeze a burst
    /// of traffic followed by quiet into a sliver at the left).
    var axisEnd: Date {
        var end = timeline.points.first?.end ?? timeline.until
        for (previous, point) in zip(timeline.points, timeline.points.dropFirst())
            where zip(previous.arms, point.arms).contains(where: { $0.trials != $1.trials }) {
            end = max(end, point.end)
        }
        let changes = timeline.markers.map(\.at) + timeline.overrides.flatMap { [$0.from] + [$0.to].compactMap { $0 } }
        return min(max(end, changes.max() ?? end), timeline.until)
    }

    /// The points the charts draw: those up to the axis's end.
    private var drawn: [ExperimentTimeline.Point] {
        let end = axisEnd
        return timeline.points.filter { $0.start < end || $0.start == timeline.points.first?.start }
    }

    private var times: [Date] { drawn.map { min($0.end, axisEnd) } }

    /// The stretches when traffic did not follow the weights.
    private var shades: [TimeChart.Shade] {
        timeline.overrides.map { override in
            let what = override.status == "pinned" ? "pinned to '\(override.arm ?? "")': every unit got that arm"
                : "paused: every unit got the fallback arm"
            let end = override.to.map { PageFormat.time($0) + " UTC" } ?? "now"
            return TimeChart.Shade(from: override.from, to: override.to ?? axisEnd,
                                   text: "\(PageFormat.time(override.from)) UTC to \(end): \(what) (decisions then count in no arm)")
        }
    }

    /// The cumulative rate per arm (its posterior mean) with its 95% interval band.
    func rate() -> HTML {
        let what = timeline.objective.isRate ? "rate" : "mean engagement"
        let values = drawn.flatMap { $0.arms.filter { $0.trials > 0 }.flatMap { [$0.intervalLow, $0.intervalHigh, $0.posteriorMean].compactMap { $0 } } }
        let low = max((values.min() ?? 0), 0)
        let high = max(values.max() ?? 1, low + 1e-6)
        let pad = (high - low) * 0.08
        // A rate is at most 1: padding never pushes the axis past it.
        let top = timeline.objective.isRate ? min(high + pad, 1) : high + pad
        let chart = TimeChart(
            id: "chart-rate", title: "Cumulative \(what) per arm (posterior mean), with 95% intervals", summary: summary(of: \.posteriorMean, what),
            since: timeline.since, until: axisEnd, range: max(low - pad, 0)...max(top, low + 1e-6),
            label: { timeline.objective.isRate ? PageFormat.percent($0) : PageFormat.decimal($0, 2) })
        let series: [HTML] = timeline.arms.indices.map { index in
            let colour = Palette.colour(index)
            let points = drawn.map { $0.arms[index] }
            // Before an arm's first decision its interval is the prior's: not drawn.
            let band = zip(times, points).compactMap { time, arm in
                arm.trials == 0 ? nil : arm.intervalLow.flatMap { low in arm.intervalHigh.map { (time, low, $0) } }
            }
            return """
                <g class="series" data-series="\(timeline.arms[index])"><path class="band" d="\(chart.band(band))" fill="\(colour)"/>\
                <path class="line" d="\(chart.line(zip(times, points.map { $0.trials > 0 ? $0.posteriorMean : nil }).map { ($0, $1) }))" stroke="\(colour)" \
                stroke-dasharray="\(Palette.dash(index))"/></g>
                """
        }
        let labels = timeline.arms.indices.compactMap { index in
            drawn.last { $0.arms[index].trials > 0 }?.arms[index].posteriorMean.map { (timeline.arms[index], $0, Palette.colour(index)) }
        }
        return chart.svg([series.joined, chart.endLabels(labels)].joined, marks: changeMarks, shades: shades)
    }

    /// P(best) per arm, stacked to 1.
    func probabilityBest() -> HTML {
        stacked(id: "chart-pbest", title: "P(best) per arm, stacked", value: \.probabilityBest, what: "P(best)", marks: changeMarks,
                needsDecisions: true)
    }

    /// The weight in force per arm, stacked to 1, with a tick at each of the worker's updates.
    func weights() -> HTML {
        stacked(id: "chart-weights", title: "Weights in force per arm, stacked", value: { $0.weight }, what: "weight", marks: marks,
                needsDecisions: false)
    }

    private func stacked(
        id: String, title: String, value: (ExperimentTimeline.ArmPoint) -> Double?, what: String, marks: [TimeChart.Mark],
        needsDecisions: Bool
    ) -> HTML {
        let chart = TimeChart(id: id, title: title, summary: summary(of: value, what), since: timeline.since, until: axisEnd,
                              range: 0...1, label: { PageFormat.percent($0, 0) })
        // Per point, each arm's lower and upper edge; points where the values are absent are left out.
        var edges: [(Date, [(Double, Double)])] = []
        for (time, point) in zip(times, drawn) {
            let values = point.arms.map { value($0) ?? 0 }
            let total = values.reduce(0, +)
            // A value that needs decisions (P(best)) is the prior's until every arm has one: not drawn.
            guard total > 0, point.arms.allSatisfy({ value($0) != nil && ($0.trials > 0 || !needsDecisions) }) else { continue }
            var floor = 0.0
            edges.append((time, values.map { share in
                defer { floor += share / total }
                return (floor, floor + share / total)
            }))
        }
        let series: [HTML] = timeline.arms.indices.map { index in
            let colour = Palette.colour(index)
            let band = edges.map { ($0.0, $0.1[index].0, $0.1[index].1) }
            return "<g class=\"series\" data-series=\"\(timeline.arms[index])\"><path class=\"area\" d=\"\(chart.band(band))\" fill=\"\(colour)\"/></g>"
        }
        let labels = edges.last.map { last in
            timeline.arms.indices.map { (timeline.arms[$0], (last.1[$0].0 + last.1[$0].1) / 2, Palette.colour($0)) }
        } ?? []
        return chart.svg([series.joined, chart.endLabels(labels)].joined, marks: marks, shades: shades)
    }

    /// One sentence of what a chart ends at, for its description.
    private func summary(of value: (ExperimentTimeline.ArmPoint) -> Double?, _ what: String) -> String {
        guard let last = timeline.points.last else { return "No data yet." }
        let parts = last.arms.map { "\($0.arm) \(value($0).map { PageFormat.decimal($0, 4) } ?? "no value")" }
        return "From \(PageFormat.time(timeline.since)) to \(PageFormat.time(timeline.until)) UTC; \(what) at the end: "
            + parts.joined(separator: ", ") + ". The table below the chart has every point."
    }

    /// Every point of the timeline as a table: the charts' data for readers who cannot see them.
    func table() -> HTML {
        let header: [HTML] = timeline.arms.map { "<th scope=\"col\" colspan=\"4\">\($0)</th>" }
        let subheader: [HTML] = timeline.arms.map { _ in "<th>trials</th><th>rate</th><th>P(best)</th><th>weight</th>" }
        let rows: [HTML] = timeline.points.enumerated().map { index, point in
            let cells: [HTML] = point.arms.enumerated().map { armIndex, arm in
                let path = "points.\(index).arms.\(armIndex)"
                return """
                    <td>\(PageFormat.bound(PageFormat.count(arm.trials), source, "\(path).trials"))</td>\
                    <td>\(PageFormat.bound(PageFormat.decimal(arm.rate, 4), source, "\(path).rate"))</td>\
                    <td>\(PageFormat.bound(PageFormat.decimal(arm.probabilityBest, 4), source, "\(path).probability_best"))</td>\
                    <td>\(PageFormat.bound(PageFormat.decimal(arm.weight, 3), source, "\(path).weight"))</td>
                    """
            }
            return "<tr><th scope=\"row\">\(PageFormat.bound(PageFormat.time(point.end), source, "points.\(index).end"))</th>\(cells)</tr>"
        }
        return """
            <div class="scroll"><table class="data"><thead><tr><th rowspan="2">until (UTC)</th>\(header)</tr><tr>\(subheader)</tr></thead>\
            <tbody>\(rows)</tbody></table></div>
            """
    }
}
