import ArmoryKit
import Yams

/// Reads typed values out of a composed YAML tree and records a located problem for every
/// value that is missing, unknown or of the wrong type, so a file's problems come out all at once.
struct YAMLReader {
    /// A mapping entry whose key is a string.
    struct Entry {
        let key: String
        let keyMark: Mark?
        let value: Node
    }

    let path: String
    private(set) var problems: [ExperimentProblem] = []

    init(path: String) {
        self.path = path
    }

    mutating func report(_ message: String, at mark: Mark?, field: String = "") {
        problems.append(ExperimentProblem(path: path, line: mark?.line, column: mark?.column, field: field, message: message))
    }

    /// The entries of a mapping, or `nil` (with a problem) when `node` is not one.
    mutating func entries(of node: Node, field: String, allowed: [String]) -> [String: Entry]? {
        guard case .mapping(let mapping) = node else {
            // The whole file (no field) is never quoted: it may be any file at all, not an experiment.
            report("must be a mapping of keys to values, not \(field.isEmpty ? Self.kindName(node) : Self.describe(node))", at: node.mark, field: field)
            return nil
        }
        var entries: [String: Entry] = [:]
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else {
                report("keys must be plain words, not \(Self.describe(key))", at: key.mark, field: field)
                continue
            }
            let name = scalar.string
            guard allowed.contains(name) else {
                var message = "unknown key '\(name)'"
                if let suggestion = Self.closest(to: name, among: allowed) {
                    message += " (did you mean '\(suggestion)'?)"
                } else {
                    message += " (expected one of: \(allowed.joined(separator: ", ")))"
                }
                report(message, at: key.mark, field: field)
                continue
            }
            entries[name] = Entry(key: name, keyMark: key.mark, value: value)
        }
        return entries
    }

    /// A string scalar written as text (plain or quoted), not a number, boolean or null.
    mutating func string(_ node: Node, field: String) -> String? {
        guard case .scalar(let scalar) = node, Self.kind(of: scalar) == .string else {
            report("must be a string, not \(Self.describe(node))", at: node.mark, field: field)
            return nil
        }
        return scalar.string
    }

    /// A number (integer or decimal, written plain).
    mutating func number(_ node: Node, field: String) -> Double? {
        if case .scalar(let scalar) = node, let value = Self.parameterValue(of: scalar)?.numberValue, value.isFinite {
            return value
        }
        report("must be a number, not \(Self.describe(node))", at: node.mark, field: field)
        return nil
    }

    /// A whole number.
    mutating func integer(_ node: Node, field: String) -> Int? {
        if case .scalar(let scalar) = node, case .integer(let value)? = Self.parameterValue(of: scalar) {
            return value
        }
        report("must be a whole number, not \(Self.describe(node))", at: node.mark, field: field)
        return nil
    }

    /// A duration such as `50ms`, `90s`, `5m`, `2h` or `1d`.
    mutating func duration(_ node: Node, field: String) -> Duration? {
        if case .scalar(let scalar) = node, Self.kind(of: scalar) == .string || Self.kind(of: scalar) == .integer,
           let duration = DurationText.parse(scalar.string) {
            return duration
        }
        report("must be a duration such as 90s, 5m, 2h or 1d (a whole number and ms, s, m, h or d), not \(Self.describe(node))",
               at: node.mark, field: field)
        return nil
    }

    /// One of an enumeration's raw values.
    mutating func choice<T: RawRepresentable & CaseIterable>(_ node: Node, field: String, as type: T.Type) -> T?
    where T.RawValue == String {
        let options = T.allCases.map(\.rawValue).joined(separator: " | ")
        guard case .scalar(let scalar) = node, let value = T(rawValue: scalar.string) else {
            report("must be one of \(options), not \(Self.describe(node))", at: node.mark, field: field)
            return nil
        }
        return value
    }

    // MARK: - Scalars

    enum ScalarKind {
        case string, integer, number, boolean, null
    }

    /// What a scalar is: quoted and block scalars are always strings; plain ones are resolved
    /// by YAML's core rules.
    static func kind(of scalar: Node.Scalar) -> ScalarKind {
        switch scalar.style {
        case .singleQuoted, .doubleQuoted, .literal, .folded:
            return .string
        case .any, .plain:
            break
        }
        switch Resolver.default.resolveTag(of: Node.scalar(scalar)) {
        case .int: return .integer
        case .float: return .number
        case .bool: return .boolean
        case .null: return .null
        default: return .string
        }
    }

    /// A scalar as a typed parameter value, or `nil` for null.
    static func parameterValue(of scalar: Node.Scalar) -> ParameterValue? {
        let node = Node.scalar(scalar)
        switch kind(of: scalar) {
        case .string: return .string(scalar.string)
        case .integer: return node.int.map(ParameterValue.integer) ?? node.float.map(ParameterValue.number)
        case .number: return node.float.map(ParameterValue.number)
        case .boolean: return node.bool.map(ParameterValue.boolean)
        case .null: return nil
        }
    }

    /// How a node reads in a message: "a mapping", "a string ('half')", "null".
    /// What `node` is, without its value.
    static func kindName(_ node: Node) -> String {
        guard case .scalar(let scalar) = node else { return describe(node) }
        switch kind(of: scalar) {
        case .string: return "a string"
        case .integer: return "an integer"
        case .number: return "a number"
        case .boolean: return "a boolean"
        case .null: return "null"
        }
    }

    static func describe(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            let text = scalar.string.count > 40 ? String(scalar.string.prefix(40)) + "…" : scalar.string
            switch kind(of: scalar) {
            case .string: return text.isEmpty ? "an empty string" : "a string ('\(text)')"
            case .integer: return "an integer (\(text))"
            case .number: return "a number (\(text))"
            case .boolean: return "a boolean (\(text))"
            case .null: return "null"
            }
        }
    }

    /// The likely intended candidate for a misspelt `word`: the unique closest one within edit
    /// distance 2 (and shorter than the word itself), or one that the word begins or ends.
    static func closest(to word: String, among candidates: [String]) -> String? {
        let scored = candidates.map { ($0, editDistance(word, $0)) }.filter { $0.1 <= 2 && $0.1 < word.count }
        if let best = scored.min(by: { $0.1 < $1.1 }), scored.filter({ $0.1 == best.1 }).count == 1 {
            return best.0
        }
        let extended = candidates.filter { word.count >= 3 && ($0.hasPrefix(word) || word.hasPrefix($0)) }
        return extended.count == 1 ? extended[0] : nil
    }

    /// Levenshtein distance.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = previous
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
