import ArmoryCore
import ArmoryKit
import ArmoryStorage
import Foundation

/// Training a model version: the one owner of reading the views and likes, scoring the
/// trainer offline on a time split, training on everything, storing the artifact, registering
/// the version with its figures, and (when asked) pointing an alias at it.
public struct ModelTraining: Sendable {
    /// What to train.
    public struct Request: Sendable {
        public var trainer: String
        public var name: String
        public var parameters: [String: ParameterValue]
        /// The share of the newest events held out for the offline figures; `nil` skips them.
        public var testFraction: Double?
        /// The cut-off of the offline figures.
        public var k: Int
        /// Algorithms scored beside the model on the same split (those loaded).
        public var baselines: [String]
        /// The alias to point at the new version, when any.
        public var alias: String?
        public var actor: String
        public var note: String

        public init(
            trainer: String, name: String, parameters: [String: ParameterValue] = [:], testFraction: Double? = 0.2, k: Int = 10,
            baselines: [String] = ["popularity", "history"], alias: String? = nil, actor: String, note: String = ""
        ) {
            self.trainer = trainer
            self.name = name
            self.parameters = parameters
            self.testFraction = testFraction
            self.k = k
            self.baselines = baselines
            self.alias = alias
            self.actor = actor
            self.note = note
        }
    }

    /// The stages training reports through `progress`, with the share of the whole each takes.
    public enum Stage: String, Sendable {
        case reading = "reading views and likes"
        case evaluating = "training and scoring on the time split"
        case training = "training on every view and like"
        case storing = "storing the artifact"
    }

    let scoring: OfflineScoring
    let models: ModelRegistry
    let algorithms: AlgorithmRegistry

    public init(store: any StateStore, models: ModelRegistry, algorithms: AlgorithmRegistry) {
        scoring = OfflineScoring(store: store, models: models, algorithms: algorithms)
        self.models = models
        self.algorithms = algorithms
    }

    /// Trains, scores, stores and registers `request`'s model; returns the version recorded and
    /// the alias move, when one was asked for. `progress` gets the share of the whole done and
    /// what is being done.
    public func run(
        _ request: Request, progress: @escaping @Sendable (Double, String) -> Void = { _, _ in }
    ) async throws -> (version: ModelVersion, move: AliasMove?) {
        guard ModelReference.isValidName(request.name) else {
            throw ArmoryError.invalid("name", "model name '\(request.name)' is not valid: use 1 to 64 lower-case letters, digits and '-', starting with a letter or digit")
        }
        if let alias = request.alias { try ModelRegistry.checkAlias(alias) }
        let (entry, parameters) = try trainer(request)
        let trainer = try entry.type.init(parameters: parameters)
        progress(0, Stage.reading.rawValue)
        let (watches, catalog) = try await scoring.readData()
        var evaluation: ModelEvaluation?
        let share = request.testFraction == nil ? 0.0 : 0.45
        if let fraction = request.testFraction {
            evaluation = try await evaluate(trainer, entry: entry, request: request, watches: watches, catalog: catalog, fraction: fraction) {
                progress(0.02 + share * $0, Stage.evaluating.rawValue)
            }
        }
        let everything = TrainingData(watches: watches, catalog: catalog)
        let started = ContinuousClock.now
        let artifact = try await trainer.train(everything, progress: TrainingProgress { fraction, step in
            progress(0.02 + share + (0.96 - share) * fraction, "\(Stage.training.rawValue): \(step)")
        })
        let trainingSeconds = (ContinuousClock.now - started).timeInterval
        progress(0.98, Stage.storing.rawValue)
        let times = everything.interactions.map(\.time)
        let window = TrainingWindow(
            store: scoring.store.location, from: times.min(), to: times.max(), users: everything.userIDs.count, movies: catalog.movies.count,
            views: everything.interactions.count { !$0.isLike }, likes: everything.interactions.count(where: \.isLike))
        let version = try await models.register(ModelVersion(
            name: request.name, artifactDigest: "", artifactBytes: 0, trainer: entry.descriptor.name, trainerVersion: entry.descriptor.version,
            algorithm: entry.descriptor.servedBy, parameters: parameters.values, training: window, trainingSeconds: trainingSeconds, evaluation: evaluation,
            actor: request.actor, note: request.note, createdAt: Date()), artifact: artifact)
        var move: AliasMove?
        if let alias = request.alias {
            move = try await models.moveAlias(alias, of: request.name, to: version.version, actor: request.actor,
                                              reason: "trained \(version.reference) with \(entry.descriptor.name)")
        }
        progress(1, "done")
        return (version, move)
    }

    /// The trainer `request` names and its parameters, checked.
    private func trainer(_ request: Request) throws -> (AlgorithmRegistry.TrainerEntry, Parameters) {
        guard let entry = algorithms.trainer(named: request.trainer) else {
            let known = algorithms.trainers.map(\.descriptor.name).joined(separator: ", ")
            throw ArmoryError.invalid("trainer", "no trainer named '\(request.trainer)' is loaded"
                + (known.isEmpty ? "; no loaded module offers one" : "; the loaded ones are \(known)"))
        }
        guard algorithms.servesModels(entry.descriptor.servedBy) else {
            throw ArmoryError.invalid("trainer", "trainer '\(request.trainer)' is served by '\(entry.descriptor.servedBy)', which is not loaded as a model-serving algorithm")
        }
        do {
            return (entry, try Parameters.resolved(request.parameters, for: entry.descriptor))
        } catch let error as AlgorithmError {
            throw ArmoryError.invalid("param", error.message)
        }
    }

    /// The trainer's figures on a time split (trained on the events before the cut), first,
    /// then the baselines' on the same split.
    private func evaluate(
        _ trainer: any Trainer, entry: AlgorithmRegistry.TrainerEntry, request: Request, watches: Watches, catalog: MovieCatalog, fraction: Double,
        progress: @escaping @Sendable (Double) -> Void
    ) async throws -> ModelEvaluation {
        let split = try scoring.split(watches, catalog: catalog, holdingOut: fraction)
        let started = ContinuousClock.now
        let artifact = try await trainer.train(split.training, progress: TrainingProgress { fraction, _ in progress(0.6 * fraction) })
        let trainingSeconds = (ContinuousClock.now - started).timeInterval
        let served = entry.descriptor.servedBy
        let algorithm: any RecommendationAlgorithm
        do {
            algorithm = try algorithms.makeAlgorithm(named: served, parameters: ["model": .string("\(request.name)@split")],
                                                     model: TrainedModel(name: request.name, version: 0, artifact: artifact))
        } catch let error as AlgorithmError {
            throw ArmoryError.invalid("trainer", "\(served) cannot load what \(entry.descriptor.name) trained: \(error.message)")
        }
        let evaluation = OfflineEvaluation(split: split, k: request.k)
        var scores = [try await evaluation.score(algorithm, name: "\(served) (\(entry.descriptor.name), this version's parameters)") {
            progress(0.6 + 0.2 * $0)
        }]
        let baselines = request.baselines.filter { algorithms.entry(named: $0) != nil && !algorithms.servesModels($0) }
        for (index, baseline) in baselines.enumerated() {
            scores += try await scoring.score([.init(algorithm: baseline)], on: split, k: request.k) { _, done in
                progress(0.8 + 0.2 * (Double(index) + done) / Double(baselines.count))
            }
        }
        return ModelEvaluation(cut: split.cut, scores: scores, trainingSeconds: trainingSeconds)
    }
}
