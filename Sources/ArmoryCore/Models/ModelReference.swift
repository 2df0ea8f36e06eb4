/// How an arm names a model: `NAME@ALIAS` (`movies-mf@champion`), which follows the alias when
/// it moves, or `NAME@VERSION` (`movies-mf@3`), which stays.
public struct ModelReference: Sendable, Hashable, CustomStringConvertible {
    /// What follows the `@`.
    public enum Selector: Sendable, Hashable {
        case version(Int)
        case alias(String)
    }

    /// The model's name.
    public var name: String
    /// Its version or alias.
    public var selector: Selector

    /// Creates a reference.
    public init(name: String, selector: Selector) {
        self.name = name
        self.selector = selector
    }

    /// The reference written as `text`; throws an ``ArmoryError`` (invalid) saying what is wrong.
    public init(parsing text: String) throws(ArmoryError) {
        guard let at = text.lastIndex(of: "@") else {
            throw ArmoryError(.invalid, .invalidModelReference, "model '\(text)' names no version or alias: write NAME@ALIAS (movies-mf@champion) or NAME@VERSION (movies-mf@3)")
        }
        let name = String(text[..<at])
        let selector = String(text[text.index(after: at)...])
        guard Self.isValidName(name) else {
            throw ArmoryError(.invalid, .invalidModelReference, "model name '\(name)' is not valid: use 1 to 64 lower-case letters, digits and '-', starting with a letter or digit")
        }
        if !selector.isEmpty, selector.allSatisfy(\.isASCIIDigit) {
            guard let version = Int(selector) else {
                throw ArmoryError(.invalid, .invalidModelReference, "model '\(text)': version \(selector) is too large to be a version")
            }
            guard version >= 1 else { throw ArmoryError(.invalid, .invalidModelReference, "model '\(text)': versions start at 1") }
            self.init(name: name, selector: .version(version))
        } else {
            guard Self.isValidName(selector) else {
                throw ArmoryError(.invalid, .invalidModelReference, "model '\(text)': alias '\(selector)' is not valid: use 1 to 64 lower-case letters, digits and '-', starting with a letter or digit")
            }
            self.init(name: name, selector: .alias(selector))
        }
    }

    /// Whether `name` can name a model or an alias: 1 to 64 lower-case letters, digits and '-',
    /// starting with a letter or digit (so that it can follow a command-line option).
    public static func isValidName(_ name: String) -> Bool {
        Experiment.isValidID(name) && name.first.map { $0 != "-" } == true
    }

    public var description: String {
        switch selector {
        case .version(let version): "\(name)@\(version)"
        case .alias(let alias): "\(name)@\(alias)"
        }
    }
}

extension Character {
    /// Whether this is one of the ASCII digits 0–9.
    var isASCIIDigit: Bool { isASCII && isNumber }
}
