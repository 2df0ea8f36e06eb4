import ArgumentParser
import Foundation

/// Writes a line to standard error (summaries, notes and progress stay off standard output,
/// so data on standard output can be piped).
func printError(_ text: String, terminator: String = "\n") {
    FileHandle.standardError.write(Data((text + terminator).utf8))
}

/// Prints `value` as pretty JSON with sorted keys and snake_case names.
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// A plain text table: text columns left-aligned (the first, and any in `leftAligned`),
/// numbers right-aligned.
struct TextTable {
    var header: [String]
    var rows: [[String]] = []
    var leftAligned: Set<Int> = [0]

    var rendered: String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return leftAligned.contains(column) ? cell + padding : padding + cell
            }.joined(separator: "  ").replacing(/\ +$/, with: "")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }
}

/// A one-line progress bar on standard error, drawn only when it is a terminal.
struct ProgressBar: Sendable {
    let total: Int
    let label: String
    private let isTerminal = isatty(STDERR_FILENO) == 1

    init(total: Int, label: String) {
        self.total = total
        self.label = label
    }

    func update(_ done: Int) {
        guard isTerminal else { return }
        let width = 30
        let filled = total > 0 ? width * done / total : width
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        printError("\r[\(bar)] \(done)/\(total) \(label)", terminator: done == total ? "\n" : "")
    }
}

/// Parses "1,2,3" into numbers, naming the option in the error.
func parseList<T: LosslessStringConvertible>(_ text: String, option: String, as type: T.Type) throws -> [T] {
    try text.split(separator: ",", omittingEmptySubsequences: false).map { part in
        let trimmed = part.trimmingCharacters(in: .whitespaces)
        guard let value = T(trimmed) else {
            throw ValidationError("\(option): '\(trimmed)' is not a valid \(T.self == Int.self ? "whole number" : "number")")
        }
        return value
    }
}

/// Formats a number with `digits` decimals.
func fixed(_ value: Double, _ digits: Int) -> String {
    String(format: "%.\(digits)f", value)
}
