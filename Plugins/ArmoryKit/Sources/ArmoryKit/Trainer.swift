import Foundation

/// Trains a model from users' views and likes: the second protocol an algorithm module may
/// implement, beside ``RecommendationAlgorithm``. A trainer's model is served by the algorithm
/// its descriptor names (``TrainerDescriptor/servedBy``), which conforms to
/// ``ModelServingAlgorithm`` and reads the artifact bytes ``train(_:progress:)`` returned.
///
/// `armory train <trainer>` reads the data from the state store, calls ``train(_:progress:)``,
/// scores the result offline, stores the artifact and registers it as a model version.
public protocol Trainer: Sendable {
    /// The trainer's name, version, summary, parameters and serving algorithm.
    static var descriptor: TrainerDescriptor { get }

    /// Creates the trainer with `parameters` (checked and completed with defaults).
    init(parameters: Parameters) throws

    /// The model trained on `data`, as the bytes its serving algorithm reads. Reports how far
    /// it has got through `progress`; checks for cancellation between steps.
    func train(_ data: TrainingData, progress: TrainingProgress) async throws -> Data
}

/// What a trainer tells the host about itself.
public struct TrainerDescriptor: Sendable, Hashable, Codable {
    /// The name `armory train` takes, e.g. `als`.
    public var name: String
    /// The trainer's own version, recorded with every model version it makes.
    public var version: String
    /// One line for `armory train` with no trainer.
    public var summary: String
    /// The parameters `--param name=value` may set.
    public var parameters: [ParameterSpec]
    /// The algorithm that serves this trainer's models (an arm names it with `params: { model: … }`).
    public var servedBy: String

    /// Creates a descriptor.
    public init(name: String, version: String, summary: String = "", parameters: [ParameterSpec] = [], servedBy: String) {
        self.name = name
        self.version = version
        self.summary = summary
        self.parameters = parameters
        self.servedBy = servedBy
    }
}

/// How a trainer reports progress: a fraction from 0 to 1 and a few words on the current step.
/// The host draws it (a progress bar with an estimate of the time left on a terminal).
public struct TrainingProgress: Sendable {
    private let report: @Sendable (Double, String) -> Void

    /// Progress that calls `report` with each fraction and step.
    public init(_ report: @escaping @Sendable (_ fraction: Double, _ step: String) -> Void) {
        self.report = report
    }

    /// Progress nobody watches.
    public static let ignored = TrainingProgress { _, _ in }

    /// Reports that `fraction` (0…1) of the work is done, now on `step`.
    public func callAsFunction(_ fraction: Double, _ step: String) {
        report(min(max(fraction, 0), 1), step)
    }
}
