/// A parameter value as written in an experiment, typed.
public enum ParameterValue: Sendable, Hashable, Codable, CustomStringConvertible {
    case integer(Int)
    case number(Double)
    case string(String)
    case boolean(Bool)

    /// The type of this value.
    public var type: ParameterType {
        switch self {
        case .integer: .integer
        case .number: .number
        case .string: .string
        case .boolean: .boolean
        }
    }

    /// The value as a `Double` when it is numeric.
    public var numberValue: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .number(let value): value
        case .string, .boolean: nil
        }
    }

    public var description: String {
        switch self {
        case .integer(let value): String(value)
        case .number(let value):
            value.rounded() == value && abs(value) < 1e15 ? String(Int(value)) : String(value)
        case .string(let value): "'\(value)'"
        case .boolean(let value): String(value)
        }
    }
}
