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
    /// The width a label's character takes at the charts' font size, and the space kept between labels.
    private static let labelCharacterWidth = 7.0
    private static let labelGap = 4.0
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

    /// The whole `<svg>` with `body` (the series) inside the axes, and `shades` and `marks` over them.
    func svg(_ body: HTML, marks: [Mark], shades: [Shade]) -> HTML {
        let shaded: [HTML] = shades.map { shade in
            """
            <rect class="override" x="\(coordinate(x(shade.from)))" y="\(coordinate(Self.top))" width="\(coordinate(max(x(shade.to) - x(shade.from), 1.5)))" \
            height="\(coordinate(plotHeight))"><title>\(shade.text)</title></rect>
            """
        }
        return """
            <svg id="\(id)" class="chart" viewBox="0 0 \(coordinate(Self.width)) \(coordinate(Self.height))" role="img" \
            aria-labelledby="\(id)-title \(id)-desc" data-chart="\(id)"><title id="\(id)-title">\(title)</title>\
            <desc id="\(id)-desc">\(summary)</desc>\(axes())\(body)\(shaded)\(marksMarkup(marks))</svg>
            """
    }

    /// A line through `points` (gaps where a value is absent), as `M … L …`.
    func line(_ points: [(Date, Double?)]) -> String {
        var path = ""
        var drawing = false
        for (time, value) in points {
            guard let value else { drawing = false; continue }
            path += (drawing ? "L" : "M") + coordinate(x(time)) + " " + coordinate(y(value))
            drawing = true
        }
        return path
    }

    /// The area between `upper` and `lower` at each time.
    func band(_ points: [(Date, Double, Double)]) -> String {
        guard !points.isEmpty else { return "" }
        let forward = points.map { coordinate(x($0.0)) + " " + coordinate(y($0.2)) }
        let back = points.reversed().map { coordinate(x($0.0)) + " " + coordinate(y($0.1)) }
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
                <rect x="\(coordinate(x))" y="\(coordinate(item.y - 8))" width="8" height="8" fill="\(item.label.colour)" stroke="#0006"/>\
                <text class="end-label" x="\(coordinate(x + 11))" y="\(coordinate(item.y))">\(String(text))</text>
                """
        }
        return "<g class=\"labels\">\(texts)</g>"
    }

    private func axes() -> HTML {
        let ticks = (0...4).map { range.lowerBound + (range.upperBound - range.lowerBound) * Double($0) / 4 }
        let horizontal: [HTML] = ticks.map { value in
            """
            <line class="grid" x1="\(coordinate(Self.left))" x2="\(coordinate(Self.width - Self.right))" y1="\(coordinate(y(value)))" y2="\(coordinate(y(value)))"/>\
            <text class="axis" x="\(coordinate(Self.left - 6))" y="\(coordinate(y(value) + 4))" text-anchor="end">\(label(value))</text>
            """
        }
        let span = until.timeIntervalSince(since)
        let times: [HTML] = (0...4).map { step in
            let time = since.addingTimeInterval(span * Double(step) / 4)
            let anchor = step == 0 ? "start" : step == 4 ? "end" : "middle"
            return "<text class=\"axis\" x=\"\(coordinate(x(time)))\" y=\"\(coordinate(Self.height - 8))\" text-anchor=\"\(anchor)\">\(Self.timeLabel(time, span: span))</text>"
        }
        return "<g class=\"axes\" aria-hidden=\"true\">\(horizontal)\(times)</g>"
    }

    private func marksMarkup(_ marks: [Mark]) -> HTML {
        let bottomY = Self.height - Self.bottom
        // Changes whose labels would touch share one label ("1–4") at the first of them.
        let numbered = marks.filter { $0.number != nil }
        var labels: [Int: String] = [:]
        var first = 0
        var labelEnd = -Double.infinity
        for index in numbered.indices {
            let run = numbered[first].number!
            if index == 0 || x(numbered[index].at) >= labelEnd + Self.labelGap {
                first = index
                labels[index] = String(numbered[index].number!)
            } else {
                labels[first] = "\(run)–\(numbered[index].number!)"
            }
            labelEnd = x(numbered[first].at) + Double(labels[first]!.count) * Self.labelCharacterWidth
        }
        let changes: [HTML] = numbered.enumerated().map { index, mark in
            let position = coordinate(x(mark.at))
            let label: HTML = labels[index].map { "<text x=\"\(position)\" y=\"\(coordinate(Self.top - 3))\" text-anchor=\"start\">\($0)</text>" } ?? ""
            // A link to the change's row in the page's table: the entry for keyboards and screen readers too.
            return """
                <a class="mark" href="#change-\(String(mark.number!))" aria-label="change \(String(mark.number!)): \(mark.text)">\
                <title>\(PageFormat.time(mark.at)) UTC: \(mark.text)</title>\
                <line x1="\(position)" x2="\(position)" y1="\(coordinate(Self.top))" y2="\(coordinate(bottomY))"/>\
                <rect x="\(coordinate(x(mark.at) - 3))" y="0" width="6" height="\(coordinate(bottomY))" class="hit"/>\(label)</a>
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
            <line x1="\(coordinate(tick.x))" x2="\(coordinate(tick.x))" y1="\(coordinate(bottomY))" y2="\(coordinate(bottomY + 6))"/></g>
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

/// An SVG coordinate: `value` with at most two decimals.
func coordinate(_ value: Double) -> String {
    let rounded = (value * 100).rounded() / 100
    return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
}
