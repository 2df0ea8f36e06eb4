import Foundation

/// How the pages write numbers and times, and how they tie each number to the API's JSON: a
/// number is a `<span data-json="SOURCE PATH">`, where SOURCE is the API route that answers it
/// as JSON (`/v1/experiments/ID/results`, …) and PATH the field in that answer
/// (`arms.0.trials`; `warnings.length` for an array's count), so a reader (and the browser test) can check every number against the data.
enum PageFormat {
    /// `value` with `digits` decimals, or "—" when absent; a minus sign only when the
    /// rounded value is not zero.
    static func decimal(_ value: Double?, _ digits: Int) -> String {
        guard let value, value.isFinite else { return "—" }
        let text = String(format: "%.\(digits)f", abs(value))
        return value < 0 && Double(text) != 0 ? "−" + text : text
    }

    /// `value` as a percentage with `digits` decimals ("13.5%"), or "—".
    static func percent(_ value: Double?, _ digits: Int = 1) -> String {
        guard let value, value.isFinite else { return "—" }
        return decimal(value * 100, digits) + "%"
    }

    /// `value` with a sign ("+12.3", "−4.0"), or "—".
    static func signed(_ value: Double?, _ digits: Int) -> String {
        guard let value, value.isFinite else { return "—" }
        let text = String(format: "%.\(digits)f", abs(value))
        return Double(text) == 0 ? text : (value < 0 ? "−" : "+") + text
    }

    /// `value` with thousands separators ("12,345").
    static func count(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { grouped += "," }
            grouped.append(digit)
        }
        return (value < 0 ? "−" : "") + grouped
    }

    /// A time in UTC to the second ("2026-12-02 14:05:12").
    static func time(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d", parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!, parts.second!)
    }

    /// `text` tied to `source`'s JSON at `path`.
    static func bound(_ text: String, _ source: String, _ path: String) -> HTML {
        "<span data-json=\"\(source) \(path)\">\(text)</span>"
    }
}
