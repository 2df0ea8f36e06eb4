/// What an algorithm module tells the host about itself: its registered name, its version,
/// a one-line summary and the parameters an experiment may set for it.
///
/// The host validates every experiment arm against the descriptor of the algorithm it names,
/// so a misspelt parameter or a value of the wrong type is refused before it serves traffic.
public struct AlgorithmDescriptor: Sendable, Hashable, Codable {
    /// The name experiments use in `algorithm:`, e.g. `popularity`.
    public var name: String
    /// The module's own version, e.g. `1.2.0`; recorded with every decision it serves.
    public var version: String
    /// One line for `armory algorithms` and the API.
    public var summary: String
    /// The parameters the algorithm accepts, by name.
    public var parameters: [ParameterSpec]

    /// Creates a descriptor.
    public init(name: String, version: String, summary: String = "", parameters: [ParameterSpec] = []) {
        self.name = name
        self.version = version
        self.summary = summary
        self.parameters = parameters
    }

    /// The specification of the parameter called `name`, if the algorithm has one.
    public func parameter(named name: String) -> ParameterSpec? {
        parameters.first { $0.name == name }
    }
}
