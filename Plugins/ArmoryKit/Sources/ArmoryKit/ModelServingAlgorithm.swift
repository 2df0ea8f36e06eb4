import Foundation

/// An algorithm that serves a trained model: an arm names the model in its parameters
/// (`params: { model: movies-mf@champion }`), the host fetches that version's artifact and
/// creates the algorithm with it, and creates it again when the alias moves.
///
/// ``RecommendationAlgorithm/init(parameters:)`` is still required (the host checks a module's
/// algorithms with their default parameters); it should throw an ``AlgorithmError`` saying the
/// algorithm needs a model.
public protocol ModelServingAlgorithm: RecommendationAlgorithm {
    /// Creates the algorithm for one arm from `model`'s artifact; throw ``AlgorithmError`` when
    /// the bytes are not a model this algorithm reads.
    init(parameters: Parameters, model: TrainedModel) throws
}

extension ModelServingAlgorithm {
    /// The name of the parameter that names the model: `model`.
    public static var modelParameter: String { "model" }
}

/// One version of a trained model, as the host hands it to the algorithm that serves it.
public struct TrainedModel: Sendable {
    /// The model's name (`movies-mf`).
    public var name: String
    /// The version (1, 2, 3…).
    public var version: Int
    /// The artifact's bytes, already checked against their digest.
    public var artifact: Data

    /// Creates a model.
    public init(name: String, version: Int, artifact: Data) {
        self.name = name
        self.version = version
        self.artifact = artifact
    }
}
