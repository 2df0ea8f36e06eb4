import Foundation

/// Checks a results page's rendered DOM against the API: every number the page shows is a
/// `<span data-json="ROUTE PATH">` whose text must be the JSON value at PATH of ROUTE's answer,
/// written as the page writes numbers (thousands separators, fixed decimals, percentages,
/// signs, UTC times to the second, "—" for none); and no table cell holds a digit outside such a
/// span, unless it is free text (`class="text"`: names, reasons, notes).
struct PageCheck {
    /// A number on the page.
    struct Bound {
        var route: String
        var path: String
        var text: String
    }

    let dom: String

    /// Every bound number, in page order.
    var bound: [Bound] {
        matches(#"<span data-json="([^"]*)">([^<]*)</span>"#).map { groups in
            let reference = Self.unescape(groups[0])
            let space = reference.firstIndex(of: " ")!
            return Bound(route: String(reference[..<space]), path: String(reference[reference.index(after: space)...]),
                         text: Self.unescape(groups[1]))
        }
    }

    /// Table cells (not free text) with a digit outside the bound numbers.
    var unboundCells: [String] {
        matches(#"<td([^>]*)>(.*?)</td>"#).compactMap { groups in
            guard !groups[0].contains("class=\"text\"") else { return nil }
            let withoutBound = groups[1].replacingOccurrences(of: #"<span data-json="[^"]*">[^<]*</span>"#, with: "", options: .regularExpression)
            let text = withoutBound.replacingOccurrences(of: #"<svg.*?</svg>"#, with: "", options: .regularExpression)
                .replacingOccurrences(of: #"<[^>]*>"#, with: "", options: .regularExpression)
            return text.contains(where: \.isNumber) ? text : nil
        }
    }

    /// Per chart (`data-chart`), how many series (`data-series`) it draws.
    var seriesPerChart: [String: Int] {
        var counts: [String: Int] = [:]
        for groups in matches(#"<svg[^>]*data-chart="([^"]+)"[^>]*>(.*?)</svg>"#) {
            counts[groups[0]] = groups[1].components(separatedBy: "data-series=").count - 1
        }
        return counts
    }

    /// Whether `text`, as the page wrote it, is `json` (`NSNull` for null).
    static func shows(_ text: String, _ json: Any) -> Bool {
        if text == "—" { return json is NSNull }
        if let time = json as? String {
            guard let date = parseTime(time) else { return false }
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
            return formatter.string(from: date) == text
        }
        guard let value = (json as? NSNumber)?.doubleValue else { return false }
        var number = text.replacingOccurrences(of: ",", with: "").replacingOccurrences(of: "−", with: "-")
        let isPercent = number.hasSuffix("%")
        if isPercent { number.removeLast() }
        guard let shown = Double(number) else { return false }
        let decimals = number.split(separator: ".").dropFirst().first?.count ?? 0
        let expected = value * (isPercent ? 100 : 1)
        return abs(expected - shown) <= 0.5 * pow(10, -Double(decimals)) + 1e-9
    }

    /// The value at `path` ("arms.0.trials", "warnings.length") in `json`: `NSNull` for a null
    /// or a field the encoder left out as absent (JSONEncoder omits nil optionals), `nil` for a
    /// path that leads nowhere (a misspelt field, an index past the end).
    static func value(at path: String, in json: Any) -> Any? {
        var current: Any = json
        let parts = path.split(separator: ".")
        for (position, part) in parts.enumerated() {
            if let array = current as? [Any] {
                if part == "length" { current = array.count; continue }
                guard let index = Int(part), array.indices.contains(index) else { return nil }
                current = array[index]
            } else if let object = current as? [String: Any] {
                guard let next = object[String(part)] else {
                    // An optional the encoder left out is absent only as the last part of a path.
                    return position == parts.count - 1 ? NSNull() : nil
                }
                current = next
            } else {
                return nil
            }
        }
        return current
    }

    private static func parseTime(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    private static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
    }

    /// The capture groups of every match of `pattern` (across lines).
    private func matches(_ pattern: String) -> [[String]] {
        let expression = try! NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators])
        let text = dom as NSString
        return expression.matches(in: dom, range: NSRange(location: 0, length: text.length)).map { match in
            (1..<match.numberOfRanges).map { match.range(at: $0).location == NSNotFound ? "" : text.substring(with: match.range(at: $0)) }
        }
    }
}
