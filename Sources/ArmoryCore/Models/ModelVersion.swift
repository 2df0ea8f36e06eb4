import ArmoryKit
import Foundation

/// One version of a trained model, as the model registry keeps it: never changed once
/// recorded. A model name's versions are numbered 1, 2, 3… in the order they were registered.
public struct ModelVersion: Sendable, Hashable, Codable {
    /// The model's name (`movies-mf`).
    public var name: String
    /// 1, 2, 3…; given by the store when the version is recorded.
    public var version: Int
    /// The artifact's SHA-256 (lower-case hex): its name in the artifact store.
    public var artifactDigest: String
    /// The artifact's size in bytes.
    public var artifactBytes: Int
    /// The trainer that made it, and the trainer's version.
    public var trainer: String
    public var trainerVersion: String
    /// The algorithm that serves it.
    public var algorithm: String
    /// The trainer's parameters, defaults included.
    public var parameters: [String: ParameterValue]
    /// What it was trained on.
    public var training: TrainingWindow
    /// How long its training took, in seconds (reading the data and scoring excluded).
    public var trainingSeconds: Double?
    /// How it scored offline, when it was evaluated.
    public var evaluation: ModelEvaluation?
    /// Who registered it, and why.
    public var actor: String
    public var note: String
    /// When.
    public var createdAt: Date

    /// Creates a version to record (its `version` is given by the store).
    public init(
        name: String, version: Int = 0, artifactDigest: String, artifactBytes: Int, trainer: String, trainerVersion: String, algorithm: String,
        parameters: [String: ParameterValue], training: TrainingWindow, trainingSeconds: Double? = nil, evaluation: ModelEvaluation?, actor: String,
        note: String, createdAt: Date
    ) {
        self.trainingSeconds = trainingSeconds
        self.name = name
        self.version = version
        self.artifactDigest = artifactDigest
        self.artifactBytes = artifactBytes
        self.trainer = trainer
        self.trainerVersion = trainerVersion
        self.algorithm = algorithm
        self.parameters = parameters
        self.training = training
        self.evaluation = evaluation
        self.actor = actor
        self.note = note
        self.createdAt = createdAt
    }

    /// `name@version`.
    public var reference: String { "\(name)@\(version)" }
}

/// The data a model version was trained on.
public struct TrainingWindow: Sendable, Hashable, Codable {
    /// The state store it was read from (its location, no password).
    public var store: String
    /// The first and last view or like it saw.
    public var from: Date?
    public var to: Date?
    /// How many users, movies, views and likes.
    public var users: Int
    public var movies: Int
    public var views: Int
    public var likes: Int

    /// Creates a window.
    public init(store: String, from: Date?, to: Date?, users: Int, movies: Int, views: Int, likes: Int) {
        self.store = store
        self.from = from
        self.to = to
        self.users = users
        self.movies = movies
        self.views = views
        self.likes = likes
    }
}

/// How a model version's trainer, with the same parameters, scored on a time split of the same
/// data, beside the baselines scored on the same split.
public struct ModelEvaluation: Sendable, Hashable, Codable {
    /// The split's cut: the model scored was trained on the events before it.
    public var cut: Date
    /// The figures, the trained model's first.
    public var scores: [OfflineEvaluation.Score]
    /// How long training on the events before the cut took, in seconds.
    public var trainingSeconds: Double?

    /// Creates an evaluation.
    public init(cut: Date, scores: [OfflineEvaluation.Score], trainingSeconds: Double? = nil) {
        self.cut = cut
        self.scores = scores
        self.trainingSeconds = trainingSeconds
    }
}

/// A move of a model's alias (`champion`, `challenger`, any name) to a version: appended, never
/// changed; an alias points where its newest move put it, and a move back undoes a move.
public struct AliasMove: Sendable, Hashable, Codable {
    /// The model.
    public var name: String
    /// The alias.
    public var alias: String
    /// 1, 2, 3… per model and alias; given by the store.
    public var move: Int
    /// The version it points at from now on.
    public var version: Int
    /// The version it pointed at before (`nil` for its first move).
    public var previousVersion: Int?
    /// Who, why, when.
    public var actor: String
    public var reason: String
    public var createdAt: Date

    /// Creates a move to record (its `move` number is given by the store).
    public init(name: String, alias: String, move: Int = 0, version: Int, previousVersion: Int?, actor: String, reason: String, createdAt: Date) {
        self.name = name
        self.alias = alias
        self.move = move
        self.version = version
        self.previousVersion = previousVersion
        self.actor = actor
        self.reason = reason
        self.createdAt = createdAt
    }
}
