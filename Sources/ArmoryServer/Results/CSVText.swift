import Foundation

/// RFC 4180 text for the results' CSV answers.
enum CSVText {
    /// `text` as one field: quoted when it holds a comma, a quote or a line break.
    static func field(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            ? "\"\(text.replacingOccurrences(of: "\"", with: "\"\""))\"" : text
    }

    /// `value` as a number field, empty when absent.
    static func number(_ value: Double?) -> String { value.map { String($0) } ?? "" }

    /// `rows` under `header`, each line ended by CRLF.
    static func table(header: [String], rows: [[String]]) -> String {
        ([header] + rows).map { $0.joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }
}
