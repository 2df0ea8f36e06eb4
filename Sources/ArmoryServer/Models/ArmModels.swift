import ArmoryCore
import ArmoryKit
import Foundation

/// The model an arm serves, as loaded for it: the version its reference named when it was
/// loaded, or why none could be loaded (the arm then answers through the fallback arm).
public struct ArmModel: Sendable {
    /// What the arm's `model` parameter says (`movies-mf@champion`).
    public var reference: String
    /// The version loaded; `nil` when none could be.
    public var version: Int?
    /// The model, when loaded.
    public var model: TrainedModel?
    /// Why no model could be loaded.
    public var problem: String?
    /// When it was loaded, or loading was tried.
    public var attemptedAt = Date()

    /// Creates the record of one load of an arm's model.
    public init(reference: String, version: Int? = nil, model: TrainedModel? = nil, problem: String? = nil, attemptedAt: Date = Date()) {
        self.reference = reference
        self.version = version
        self.model = model
        self.problem = problem
        self.attemptedAt = attemptedAt
    }

    /// How long an arm whose model could not be loaded waits before a refresh tries again,
    /// when its reference still names the same version (a move of the alias tries at once).
    public static let retryInterval: TimeInterval = 30

    /// Whether a refresh should load this arm's model again, its reference naming `current` now.
    public func needsReload(current: Int?, now: Date = Date()) -> Bool {
        if model != nil { return current != nil && current != version }
        return current != version || now.timeIntervalSince(attemptedAt) >= Self.retryInterval
    }

    /// `name@version` of the loaded version, as decisions record it.
    public var servedVersion: String? {
        guard let model else { return nil }
        return "\(model.name)@\(model.version)"
    }
}

/// Loads the models an experiment's arms name, for the arms whose algorithm serves models.
enum ArmModels {
    /// Each model-serving arm's model, by arm name. Never throws: a model that cannot be
    /// resolved or fetched is an ``ArmModel`` with its problem.
    static func load(for experiment: Experiment, algorithms: AlgorithmRegistry, models: ModelRegistry?) async -> [String: ArmModel] {
        var loaded: [String: ArmModel] = [:]
        for arm in experiment.arms where algorithms.servesModels(arm.algorithm) {
            guard case .string(let text)? = arm.parameters["model"] else { continue }
            loaded[arm.name] = await load(text, models: models)
        }
        return loaded
    }

    /// The versions the model-serving arms' references name now, by arm (`nil` where one does
    /// not resolve): what a refresh compares with the versions being served.
    static func currentVersions(for experiment: Experiment, algorithms: AlgorithmRegistry, models: ModelRegistry) async -> [String: Int?] {
        var versions: [String: Int?] = [:]
        for arm in experiment.arms where algorithms.servesModels(arm.algorithm) {
            guard case .string(let text)? = arm.parameters["model"], let reference = try? ModelReference(parsing: text) else { continue }
            versions[arm.name] = try? await models.currentVersion(of: reference)
        }
        return versions
    }

    private static func load(_ text: String, models: ModelRegistry?) async -> ArmModel {
        guard let models else {
            return ArmModel(reference: text, problem: "this process has no model registry")
        }
        // On failure the version tried is kept, so a refresh tries again only once the
        // reference names another version (or after the retry interval), not every time.
        var resolved: Int?
        do {
            let reference = try ModelReference(parsing: text)
            resolved = try? await models.currentVersion(of: reference)
            let version = try await models.resolve(reference)
            resolved = version.version
            let model = try await models.load(version)
            return ArmModel(reference: text, version: version.version, model: model)
        } catch let error as ArmoryError {
            return ArmModel(reference: text, version: resolved, problem: error.message)
        } catch {
            return ArmModel(reference: text, version: resolved, problem: "model '\(text)' cannot be loaded: \(error)")
        }
    }
}

/// What an arm whose model could not be loaded runs: every call fails with the reason, so the
/// fallback arm answers and the failure is counted, as for a module that throws.
struct UnavailableModel: RecommendationAlgorithm {
    static let descriptor = AlgorithmDescriptor(name: "unavailable-model", version: "0")
    let problem: String

    init(parameters: Parameters) throws {
        problem = "no model"
    }

    init(problem: String) {
        self.problem = problem
    }

    func recommend(_ request: RecommendationRequest, data: any DataSource) async throws -> [ScoredItem] {
        throw AlgorithmError(problem)
    }
}
