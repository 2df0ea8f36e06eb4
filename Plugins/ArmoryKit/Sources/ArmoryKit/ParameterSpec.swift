/// One parameter an algorithm accepts: its name, type, default and allowed range.
public struct ParameterSpec: Sendable, Hashable, Codable {
    /// The key used under an arm's `params:`, e.g. `like_boost`.
    public var name: String
    /// The type a value must have.
    public var type: ParameterType
    /// The value used when an experiment does not set one; `nil` makes the parameter required.
    public var defaultValue: ParameterValue?
    /// The smallest value allowed, for `.integer` and `.number` parameters.
    public var minimum: Double?
    /// The largest value allowed, for `.integer` and `.number` parameters.
    public var maximum: Double?
    /// One line on what the parameter does.
    public var summary: String

    /// Creates a parameter specification.
    public init(
        name: String,
        type: ParameterType,
        defaultValue: ParameterValue? = nil,
        minimum: Double? = nil,
        maximum: Double? = nil,
        summary: String = ""
    ) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.minimum = minimum
        self.maximum = maximum
        self.summary = summary
    }

    /// Whether an experiment must set this parameter.
    public var isRequired: Bool { defaultValue == nil }

    /// Why `value` is not acceptable for this parameter, or `nil` when it is.
    public func problem(with value: ParameterValue) -> String? {
        guard value.type.isAssignable(to: type) else {
            return "parameter '\(name)' must be \(type.phrase), not \(value.type.phrase)"
        }
        if let number = value.numberValue {
            guard !number.isNaN else { return "parameter '\(name)' must be a number, not NaN" }
            if let minimum, number < minimum {
                return "parameter '\(name)' must be at least \(ParameterValue.number(minimum)), not \(value)"
            }
            if let maximum, number > maximum {
                return "parameter '\(name)' must be at most \(ParameterValue.number(maximum)), not \(value)"
            }
        }
        return nil
    }
}

/// The type of an algorithm parameter.
public enum ParameterType: String, Sendable, Hashable, Codable, CaseIterable {
    case integer
    case number
    case string
    case boolean

    /// The type with an article, for messages: "an integer", "a number".
    public var phrase: String {
        switch self {
        case .integer: "an integer"
        case .number: "a number"
        case .string: "a string"
        case .boolean: "a boolean"
        }
    }

    /// Whether a value of this type may be given where `other` is expected (an integer is a number).
    public func isAssignable(to other: ParameterType) -> Bool {
        self == other || (self == .integer && other == .number)
    }
}
