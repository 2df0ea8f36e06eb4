import Foundation

/// The one place a value becomes ClickHouse SQL text. ClickHouse 18.16 has no query
/// parameters, so every value that reaches SQL goes through these functions and nowhere else.
public enum ClickHouseSQL {
    /// `text` as a single-quoted string literal: backslash and quote are escaped, and every
    /// control character (NUL, newlines, tabs, …) is written as a `\xHH` escape, so the literal
    /// ends exactly where it started and decodes back to `text`.
    public static func literal(_ text: String) -> String {
        var result = "'"
        result.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": result += "\\\\"
            case "'": result += "\\'"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    result += String(format: "\\x%02X", scalar.value)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "'"
    }

    /// `name` as a quoted identifier (a database, table or cluster name): backslash and
    /// backquote are escaped, so the name ends exactly where it started.
    public static func identifier(_ name: String) -> String {
        "`" + name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "`", with: "\\`") + "`"
    }

    /// An integer literal.
    public static func literal(_ number: Int) -> String {
        String(number)
    }

    /// A unix-seconds literal for a `DateTime` column, clamped to the range `DateTime` holds
    /// (1970 to 2106), so `Date.distantPast` means "from the beginning".
    public static func literal(_ time: Date) -> String {
        "toDateTime(\(RowBinary.dateTime(time.timeIntervalSince1970)))"
    }

    /// A list of string literals, for `IN (…)`.
    public static func list(_ texts: [String]) -> String {
        "(" + texts.map(literal).joined(separator: ", ") + ")"
    }
}
