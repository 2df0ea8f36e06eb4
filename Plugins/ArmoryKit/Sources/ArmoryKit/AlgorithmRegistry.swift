/// The algorithms and trainers the host can run, by name, each with the file it came from.
public struct AlgorithmRegistry: Sendable {
    /// One registered algorithm.
    public struct Entry: Sendable {
        /// The algorithm's type.
        public let type: any RecommendationAlgorithm.Type
        /// Its descriptor, read once at registration.
        public let descriptor: AlgorithmDescriptor
        /// The shared library it was loaded from, or a description such as `(built in)`.
        public let file: String
    }

    /// Why a registration was refused.
    public struct Conflict: Error, Sendable, CustomStringConvertible {
        /// The name both claim.
        public let name: String
        /// The file that registered it first.
        public let registeredBy: String

        public var description: String {
            "algorithm name '\(name)' is already registered by \(registeredBy)"
        }
    }

    /// One registered trainer.
    public struct TrainerEntry: Sendable {
        /// The trainer's type.
        public let type: any Trainer.Type
        /// Its descriptor, read once at registration.
        public let descriptor: TrainerDescriptor
        /// The shared library it was loaded from.
        public let file: String
    }

    private var entries: [String: Entry] = [:]
    private var trainerEntries: [String: TrainerEntry] = [:]

    /// An empty registry.
    public init() {}

    /// Registers `algorithm` from `file`, unless its name is taken.
    public mutating func register(_ algorithm: any RecommendationAlgorithm.Type, file: String) throws(Conflict) {
        let descriptor = algorithm.descriptor
        if let existing = entries[descriptor.name] {
            throw Conflict(name: descriptor.name, registeredBy: existing.file)
        }
        entries[descriptor.name] = Entry(type: algorithm, descriptor: descriptor, file: file)
    }

    /// Registers `trainer` from `file`, unless its name is taken by another trainer.
    public mutating func register(_ trainer: any Trainer.Type, file: String) throws(Conflict) {
        let descriptor = trainer.descriptor
        if let existing = trainerEntries[descriptor.name] {
            throw Conflict(name: descriptor.name, registeredBy: existing.file)
        }
        trainerEntries[descriptor.name] = TrainerEntry(type: trainer, descriptor: descriptor, file: file)
    }

    /// The trainer called `name`, if registered.
    public func trainer(named name: String) -> TrainerEntry? {
        trainerEntries[name]
    }

    /// Every registered trainer, by name.
    public var trainers: [TrainerEntry] {
        trainerEntries.values.sorted { $0.descriptor.name < $1.descriptor.name }
    }

    /// The algorithm called `name`, if registered.
    public func entry(named name: String) -> Entry? {
        entries[name]
    }

    /// Every registered algorithm, by name.
    public var all: [Entry] {
        entries.values.sorted { $0.descriptor.name < $1.descriptor.name }
    }

    /// Every descriptor, by name: what experiments are validated against.
    public var descriptors: [AlgorithmDescriptor] {
        all.map(\.descriptor)
    }

    /// A new instance of the algorithm `name` with `parameters` (checked and completed with
    /// defaults). Throws ``AlgorithmError`` for an unknown name or a bad parameter, and whatever
    /// the algorithm's own initializer throws.
    public func makeAlgorithm(named name: String, parameters: [String: ParameterValue] = [:]) throws -> any RecommendationAlgorithm {
        guard let entry = entries[name] else {
            throw AlgorithmError("no algorithm named '\(name)' is registered")
        }
        return try entry.type.init(parameters: Parameters.resolved(parameters, for: entry.descriptor))
    }

    /// A new instance of the model-serving algorithm `name` with `parameters` and `model`.
    /// Throws ``AlgorithmError`` when `name` is unknown or does not serve models.
    public func makeAlgorithm(named name: String, parameters: [String: ParameterValue], model: TrainedModel) throws -> any RecommendationAlgorithm {
        guard let entry = entries[name] else {
            throw AlgorithmError("no algorithm named '\(name)' is registered")
        }
        guard let serving = entry.type as? any ModelServingAlgorithm.Type else {
            throw AlgorithmError("algorithm '\(name)' does not serve trained models")
        }
        return try serving.init(parameters: Parameters.resolved(parameters, for: entry.descriptor), model: model)
    }

    /// Whether the algorithm `name` serves trained models (its arms name a model).
    public func servesModels(_ name: String) -> Bool {
        entries[name].map { $0.type is any ModelServingAlgorithm.Type } ?? false
    }
}
