import ArmoryCore
import ArmoryKit
import ArmoryStorage
import Foundation

/// Offline evaluation over the state store's views and likes: the one owner of reading them
/// into a ``TimeSplit`` and scoring algorithms (built in, a data scientist's module, or a model
/// version through its serving algorithm) on it, side by side.
public struct OfflineScoring: Sendable {
    /// One algorithm to score, with its parameters, as an arm would name it.
    public struct Candidate: Sendable, Hashable {
        public var algorithm: String
        public var parameters: [String: ParameterValue]

        public init(algorithm: String, parameters: [String: ParameterValue] = [:]) {
            self.algorithm = algorithm
            self.parameters = parameters
        }

        /// `algorithm` followed by its parameters (`matrix-factorization model=movies-mf@2`).
        public var label: String {
            ([algorithm] + parameters.keys.sorted().map { "\($0)=\(Self.text(parameters[$0]!))" }).joined(separator: " ")
        }

        private static func text(_ value: ParameterValue) -> String {
            if case .string(let text) = value { return text }
            return value.description
        }
    }

    let store: any StateStore
    let models: ModelRegistry
    let algorithms: AlgorithmRegistry

    public init(store: any StateStore, models: ModelRegistry, algorithms: AlgorithmRegistry) {
        self.store = store
        self.models = models
        self.algorithms = algorithms
    }

    /// Every view and like and the catalog, as stored.
    public func readData() async throws -> (watches: Watches, catalog: MovieCatalog) {
        let catalog = MovieCatalog(try await store.movies())
        let watches = try await store.watches()
        guard watches.count > 0, !catalog.isEmpty else {
            throw ArmoryError.invalid("data", "\(store.location) holds no views or likes to learn from; `armory demo seed` loads demo data")
        }
        return (watches, catalog)
    }

    /// The split that holds out the newest `fraction` of the events.
    public func split(_ watches: Watches, catalog: MovieCatalog, holdingOut fraction: Double) throws -> TimeSplit {
        guard let cut = TimeSplit.cut(holdingOut: fraction, of: watches) else {
            throw ArmoryError.invalid("test_fraction", "cannot hold out \(fraction) of \(watches.count) events: give a fraction between 0 and 1")
        }
        let split = TimeSplit(watches: watches, catalog: catalog, cut: cut)
        guard !split.heldOut.isEmpty else {
            throw ArmoryError.invalid("test_fraction", "no user watched a new movie after \(cut): nothing to score")
        }
        return split
    }

    /// The algorithm `candidate` names, made as an arm would make it (a model-serving algorithm
    /// with the model version its `model` parameter names now).
    public func algorithm(for candidate: Candidate) async throws -> (any RecommendationAlgorithm, ModelVersion?) {
        guard algorithms.entry(named: candidate.algorithm) != nil else {
            let known = algorithms.descriptors.map(\.name).joined(separator: ", ")
            throw ArmoryError.invalid("algorithm", "no algorithm named '\(candidate.algorithm)' is loaded; the loaded ones are \(known)")
        }
        do {
            guard algorithms.servesModels(candidate.algorithm) else {
                return (try algorithms.makeAlgorithm(named: candidate.algorithm, parameters: candidate.parameters), nil)
            }
            guard case .string(let text)? = candidate.parameters["model"] else {
                throw ArmoryError.invalid("model", "\(candidate.algorithm) serves a trained model: add model=NAME@ALIAS or model=NAME@VERSION")
            }
            let version = try await models.resolve(try ModelReference(parsing: text))
            let model = try await models.load(version)
            return (try algorithms.makeAlgorithm(named: candidate.algorithm, parameters: candidate.parameters, model: model), version)
        } catch let error as AlgorithmError {
            throw ArmoryError.invalid("algorithm", "\(candidate.label): \(error.message)")
        }
    }

    /// The figures of each candidate on `split`, in order. `progress` gets the candidate's
    /// label and the share of its users done.
    public func score(
        _ candidates: [Candidate], on split: TimeSplit, k: Int, bootstrap: Bootstrap = Bootstrap(),
        progress: @escaping @Sendable (String, Double) -> Void = { _, _ in }
    ) async throws -> [OfflineEvaluation.Score] {
        let evaluation = OfflineEvaluation(split: split, k: k, bootstrap: bootstrap)
        var scores: [OfflineEvaluation.Score] = []
        for candidate in candidates {
            let (algorithm, _) = try await self.algorithm(for: candidate)
            let label = candidate.label
            scores.append(try await evaluation.score(algorithm, name: label) { progress(label, $0) })
        }
        return scores
    }
}
