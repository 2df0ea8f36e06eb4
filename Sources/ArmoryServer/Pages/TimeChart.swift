import Foundation

/// An SVG chart over the phase's time, drawn by the server: lines with their interval bands, or
/// stacked shares, with a mark at every change. Each arm is a `<g data-series>`; every change
/// carries its history entry as a `<title>`, which browsers show on hover and screen readers read.
struct TimeChart {
    /// One mark on the time axis.
    struct Mark {
        var at: Date
        /// Shown on hover.
        var text: String
        /// The change's number in the page's list of changes; `nil` for the worker's scheduled
        /// updates, drawn as ticks under the axis.
        var number: Int?
    }

    /// A stretch to shade: when traffic did not follow the weights.
    struct Shade {
        var from: Date
        var to: Date
        var text: String
    }

    static let width = 760.0
    static let height = 240.0
    private static let left = 56.0
    private static let right = 150.0
    private static let top = 14.0
    private static let bottom = 30.0

    let id: String
    let title: String
    /// What the chart shows, in words.
    let summary: String
    let since: Date
    let until: Date
    let range: ClosedRange<Double>
    let label: (Double) -> String

    private var plotWidth: Double { Self.width - Self.left - Self.right }
    private var plotHeight: Double { Self.height - Self.top - Self.bottom }

    func x(_ date: Date) -> Double {
        let span = max(until.timeIntervalSince(since), 1)
        return Self.left + plotWidth * min(max(date.timeIntervalSince(since) / span, 0), 1)
    }

    func y(_ value: Double) -> Double {
        let span = max(range.upperBound - range.lowerBound, 1e-12)
        return Self.top + plotHeight * (1 - min(max((value - range.lowerBound) / span, 0), 1))
    }

    /// The whole `<svg>` with `shades` behind `body` (the series), inside the axes, and `marks` over them.
    func svg(_ body: HTML, marks: [Mark], shades: [Shade]) -> HTML {
        let shaded: [HTML] = shades.map { shade in
            """
            <rect class="override" x="\(number(x(shade.from)))" y="\(number(Self.top))" width="\(number(max(x(shade.to) - x(shade.from), 1.5)))" \
            height="\(number(plotHeight))"><title>\(shade.text)</title></rect>
            """
        }
        return """
            <svg id="\(id)" class="chart" viewBox="0 0 \(number(Self.width)) \(number(Self.height))" role="img" \
            aria-labelledby="\(id)-title \(id)-desc" data-chart="\(id)"><title id="\(id)-title">\(title)</title>\
            <desc id="\(id)-desc">\(summary)</desc>\(axes())\(shaded)\(body)\(marksMarkup(marks))</svg>
            """
    }

    /// A line through `points` (gaps where a value is absent), as `M … L …`.
    func line(_ points: [(Date, Double?)]) -> String {
        var path = ""
        var drawing = false
        for (time, value) in points {
            guard let value else { drawing = false; continue }
            path += (drawing ? "L" : "M") + number(x(time)) + " " + number(y(value))
            drawing = true
        }
        return path
    }

    /// The area between `upper` and `lower` at each time.
    func band(_ points: [(Date, Double, Double)]) -> String {
        guard !points.isEmpty else { return "" }
        let forward = points.map { number(x($0.0)) + " " + number(y($0.2)) }
        let back = points.reversed().map { number(x($0.0)) + " " + number(y($0.1)) }
        return "M" + (forward + back).joined(separator: "L") + "Z"
    }

    /// The series' names at the right of the plot, each as near its value's height as the
    /// others leave room for; long names cut short (the leaderboard has them whole).
    func endLabels(_ labels: [(text: String, value: Double, colour: String)]) -> HTML {
        let spacing = 12.0
        var placed = labels.map { (label: $0, y: y($0.value) + 4) }.sorted { $0.y < $1.y }
        for index in placed.indices.dropFirst() where placed[index].y < placed[index - 1].y + spacing {
            placed[index].y = placed[index - 1].y + spacing
        }
        // Pushed past the bottom: move the column up, as far as the top allows.
        let overflow = (placed.last?.y ?? 0) - (Self.height - Self.bottom + 4)
        if overflow > 0 {
            for index in placed.indices { placed[index].y = max(placed[index].y - overflow, Self.top + 4 + Double(index) * spacing) }
        }
        let x = Self.width - Self.right + 6
        // The name in ink (light colours are unreadable as text on white) beside a swatch of the arm's colour.
        let texts: [HTML] = placed.map { item in
            let text = item.label.text.count > 22 ? item.label.text.prefix(21) + "…" : item.label.text
            return """
                <rect x="\(number(x))" y="\(number(item.y - 8))" width="8" height="8" fill="\(item.label.colour)" stroke="#0006"/>\
                <text class="end-label" x="\(number(x + 11))" y="\(number(item.y))">\(String(text))</text>
                """
        }
        return "<g class=\"labels\">\(texts)</g>"
    }

    private func axes() -> HTML {
        let ticks = (0...4).map { range.lowerBound + (range.upperBound - range.lowerBound) * Double($0) / 4 }
        let horizontal: [HTML] = ticks.map { value in
            """
            <line class="grid" x1="\(number(Self.left))" x2="\(number(Self.width - Self.right))" y1="\(number(y(value)))" y2="\(number(y(value)))"/>\
            <text class="axis" x="\(number(Self.left - 6))" y="\(number(y(value) + 4))" text-anchor="end">\(label(value))</text>
            """
        }
        let span = until.timeIntervalSince(since)
        let times: [HTML] = (0...4).map { step in
            let time = since.addingTimeInterval(span * Double(step) / 4)
            let anchor = step == 0 ? "start" : step == 4 ? "end" : "middle"
            return "<text class=\"axis\" x=\"\(number(x(time)))\" y=\"\(number(Self.height - 8))\" text-anchor=\"\(anchor)\">\(Self.timeLabel(time, span: span))</text>"
        }
        return "<g class=\"axes\" aria-hidden=\"true\">\(horizontal)\(times)</g>"
    }

    private func marksMarkup(_ marks: [Mark]) -> HTML {
        let bottomY = Self.height - Self.bottom
        // Changes closer than 14 pixels share one label ("1–4") at the first of them.
        let numbered = marks.filter { $0.number != nil }
        var labels: [Int: String] = [:]
        var first = 0
        for index in numbered.indices {
            if index > 0, x(numbered[index].at) - x(numbered[first].at) >= 14 { first = index }
            let run = numbered[first].number!
            labels[first] = run == numbered[index].number! ? String(run) : "\(run)–\(numbered[index].number!)"
        }
        let changes: [HTML] = numbered.enumerated().map { index, mark in
            let position = number(x(mark.at))
            let label: HTML = labels[index].map { "<text x=\"\(position)\" y=\"\(number(Self.top - 3))\" text-anchor=\"start\">\($0)</text>" } ?? ""
            // A link to the change's row in the page's table: the entry for keyboards and screen readers too.
            return """
                <a class="mark" href="#change-\(String(mark.number!))" aria-label="change \(String(mark.number!)): \(mark.text)">\
                <title>\(PageFormat.time(mark.at)) UTC: \(mark.text)</title>\
                <line x1="\(position)" x2="\(position)" y1="\(number(Self.top))" y2="\(number(bottomY))"/>\
                <rect x="\(number(x(mark.at) - 3))" y="0" width="6" height="\(number(bottomY))" class="hit"/>\(label)</a>
                """
        }
        // The worker's updates can be many: those within 3 pixels share one tick.
        var ticks: [(x: Double, texts: [String])] = []
        for mark in marks where mark.number == nil {
            let position = x(mark.at)
            if let last = ticks.last, position - last.x < 3 {
                ticks[ticks.count - 1].texts.append("\(PageFormat.time(mark.at)) UTC: \(mark.text)")
            } else {
                ticks.append((position, ["\(PageFormat.time(mark.at)) UTC: \(mark.text)"]))
            }
        }
        let tickMarkup: [HTML] = ticks.map { tick in
            """
            <g class="tick"><title>\(tick.texts.joined(separator: "\n"))</title>\
            <line x1="\(number(tick.x))" x2="\(number(tick.x))" y1="\(number(bottomY))" y2="\(number(bottomY + 6))"/></g>
            """
        }
        return "<g class=\"marks\">\(changes)\(tickMarkup)</g>"
    }

    /// A time on the axis: the clock within a day, the date and hour beyond.
    static func timeLabel(_ time: Date, span: TimeInterval) -> String {
        let full = PageFormat.time(time)
        if span <= 3_600 { return String(full.dropFirst(11)) }
        if span <= 86_400 { return String(full.dropFirst(11).prefix(5)) }
        return String(full.dropFirst(5).prefix(11))
    }
}

/// `value` with at most two decimals, for coordinates.
func number(_ value: Double) -> String {
    let rounded = (value * 100).rounded() / 100
    return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
}
