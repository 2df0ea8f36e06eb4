/// An arm's parameters as an algorithm receives them: every parameter of its descriptor, with
/// defaults filled in and types checked, read by typed accessors.
///
/// ```swift
/// init(parameters: Parameters) throws {
///     windowDays = try parameters.integer("window_days")
///     genre = try parameters.optionalString("genre")
/// }
/// ```
public struct Parameters: Sendable, Hashable {
    /// The values, by parameter name.
    public let values: [String: ParameterValue]

    /// Parameters holding exactly `values`; for tests and tools. The host builds them with
    /// ``resolved(_:for:)`` instead.
    public init(_ values: [String: ParameterValue] = [:]) {
        self.values = values
    }

    /// `given` checked against `descriptor` and completed with its defaults; throws an
    /// ``AlgorithmError`` naming the first unknown parameter, missing required one or bad value.
    public static func resolved(_ given: [String: ParameterValue], for descriptor: AlgorithmDescriptor) throws -> Parameters {
        try resolved(given, specs: descriptor.parameters, owner: "algorithm '\(descriptor.name)'")
    }

    /// `given` checked against a trainer's descriptor and completed with its defaults, as
    /// ``resolved(_:for:)-(_,AlgorithmDescriptor)`` does for an algorithm.
    public static func resolved(_ given: [String: ParameterValue], for descriptor: TrainerDescriptor) throws -> Parameters {
        try resolved(given, specs: descriptor.parameters, owner: "trainer '\(descriptor.name)'")
    }

    private static func resolved(_ given: [String: ParameterValue], specs: [ParameterSpec], owner: String) throws -> Parameters {
        for name in given.keys.sorted() where !specs.contains(where: { $0.name == name }) {
            throw AlgorithmError("\(owner) has no parameter '\(name)'")
        }
        var values: [String: ParameterValue] = [:]
        for spec in specs {
            guard let value = given[spec.name] ?? spec.defaultValue else {
                throw AlgorithmError("\(owner) needs parameter '\(spec.name)' (\(spec.type.phrase))")
            }
            if let problem = spec.problem(with: value) {
                throw AlgorithmError(problem)
            }
            // An integer given for a number parameter is handed over as a number.
            if spec.type == .number, case .integer(let integer) = value {
                values[spec.name] = .number(Double(integer))
            } else {
                values[spec.name] = value
            }
        }
        return Parameters(values)
    }

    /// The integer parameter `name`.
    public func integer(_ name: String) throws -> Int {
        guard case .integer(let value)? = values[name] else { throw mismatch(name, .integer) }
        return value
    }

    /// The number parameter `name` (an integer value is converted).
    public func number(_ name: String) throws -> Double {
        guard let value = values[name]?.numberValue else { throw mismatch(name, .number) }
        return value
    }

    /// The string parameter `name`.
    public func string(_ name: String) throws -> String {
        guard case .string(let value)? = values[name] else { throw mismatch(name, .string) }
        return value
    }

    /// The string parameter `name`, or `nil` when it is absent or empty.
    public func optionalString(_ name: String) throws -> String? {
        guard values[name] != nil else { return nil }
        let value = try string(name)
        return value.isEmpty ? nil : value
    }

    /// The boolean parameter `name`.
    public func boolean(_ name: String) throws -> Bool {
        guard case .boolean(let value)? = values[name] else { throw mismatch(name, .boolean) }
        return value
    }

    private func mismatch(_ name: String, _ type: ParameterType) -> AlgorithmError {
        guard let value = values[name] else { return AlgorithmError("parameter '\(name)' is not set") }
        return AlgorithmError("parameter '\(name)' must be \(type.phrase), not \(value.type.phrase)")
    }
}
