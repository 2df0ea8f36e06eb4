import Foundation

/// A piece of HTML (or SVG) markup. Built by string interpolation, where a `String` is always
/// escaped and only `HTML` goes in as it is, so text from experiment files, audit reasons or
/// arm names can never become markup.
struct HTML: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    private(set) var text: String

    init(stringLiteral value: String) { text = value }

    init(stringInterpolation: StringInterpolation) { text = stringInterpolation.text }

    /// Markup already made safe elsewhere (numbers the page formats itself).
    init(trusted text: String) { self.text = text }

    var description: String { text }

    struct StringInterpolation: StringInterpolationProtocol {
        var text = ""

        init(literalCapacity: Int, interpolationCount: Int) { text.reserveCapacity(literalCapacity + 16 * interpolationCount) }

        mutating func appendLiteral(_ literal: String) { text += literal }

        mutating func appendInterpolation(_ value: String) { text += HTML.escape(value) }

        mutating func appendInterpolation(_ markup: HTML) { text += markup.text }

        mutating func appendInterpolation(_ markups: [HTML]) {
            for markup in markups { text += markup.text }
        }

        mutating func appendInterpolation(_ value: Int) { text += String(value) }
    }

    /// `value` with `&`, `<`, `>`, `"` and `'` replaced by entities: safe in text and in quoted attributes.
    static func escape(_ value: String) -> String {
        guard value.contains(where: { $0 == "&" || $0 == "<" || $0 == ">" || $0 == "\"" || $0 == "'" }) else { return value }
        var escaped = ""
        escaped.reserveCapacity(value.utf8.count + 16)
        for character in value {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}

extension Array where Element == HTML {
    /// The pieces one after another.
    var joined: HTML { HTML(trusted: map(\.text).joined()) }
}
