import ArmoryCore
import ArmoryKit
import Logging

/// One experiment's arms, each with its algorithm instance, answering requests under the
/// experiment's time budget: an arm whose module throws or overruns is answered by the
/// fallback arm, and the failure is counted for the arm that failed.
public struct ArmRecommender: Sendable {
    /// What answered a request.
    public struct Outcome: Sendable {
        /// The arm the request was assigned to.
        public var arm: String
        /// The arm whose module produced `items`: `arm`, or the fallback when `arm` failed.
        public var servedBy: String
        /// The algorithm that produced `items`.
        public var algorithm: String
        /// The recommendations.
        public var items: [ScoredItem]
        /// How the assigned arm failed, when it did.
        public var failure: ArmFailureCounts.Kind?
        /// The model version that produced `items` (`movies-mf@3`), when the arm that answered
        /// serves a trained model.
        public var model: String?
    }

    /// The experiment served.
    public let experiment: Experiment
    /// Each arm's algorithm instance and what `isolation` knows of its calls (its name there,
    /// `experiment/arm`, and their recent cost), made once here rather than on every request.
    private let algorithms: [String: (algorithm: any RecommendationAlgorithm, cost: ModuleCallCost)]
    private let failures: ArmFailureCounts
    private let isolation: ModuleIsolation
    /// The model each model-serving arm was made with (or why none could be loaded).
    public let models: [String: ArmModel]

    /// Creates an instance of each arm's algorithm from `registry`; throws a ``ConfigurationError`` naming
    /// the first arm whose algorithm is unknown or refuses its parameters. An arm whose
    /// algorithm serves a trained model is made with its model from `models`; one without a
    /// loadable model answers through the fallback arm. Where module calls run is `isolation`'s choice.
    public init(
        experiment: Experiment, registry: AlgorithmRegistry, failures: ArmFailureCounts, isolation: ModuleIsolation = .shared,
        models: [String: ArmModel] = [:]
    ) throws {
        var algorithms: [String: (algorithm: any RecommendationAlgorithm, cost: ModuleCallCost)] = [:]
        var models = models
        for arm in experiment.arms {
            let cost = ModuleCallCost(arm: "\(experiment.id)/\(arm.name)")
            if registry.servesModels(arm.algorithm) {
                algorithms[arm.name] = (Self.modelAlgorithm(arm, registry: registry, model: &models[arm.name]), cost)
                continue
            }
            do {
                algorithms[arm.name] = (try registry.makeAlgorithm(named: arm.algorithm, parameters: arm.parameters), cost)
            } catch {
                throw ConfigurationError("experiment '\(experiment.id)', arm '\(arm.name)': \(error)")
            }
        }
        self.models = models
        self.experiment = experiment
        self.algorithms = algorithms
        self.failures = failures
        self.isolation = isolation
    }

    /// The algorithm of a model-serving arm: made with its model, or failing every call with
    /// the reason there is none (recorded in `model`).
    private static func modelAlgorithm(_ arm: Arm, registry: AlgorithmRegistry, model: inout ArmModel?) -> any RecommendationAlgorithm {
        guard let loaded = model?.model else {
            return UnavailableModel(problem: model?.problem ?? "arm '\(arm.name)' names no model")
        }
        do {
            return try registry.makeAlgorithm(named: arm.algorithm, parameters: arm.parameters, model: loaded)
        } catch {
            let problem = "model \(loaded.name)@\(loaded.version) cannot be loaded by \(arm.algorithm): \(error)"
            model?.model = nil
            model?.problem = problem
            return UnavailableModel(problem: problem)
        }
    }

    /// Recommendations from `arm`, or from the fallback arm when `arm`'s module fails.
    /// Throws an ``ArmoryError`` coded `arm_unavailable`, its message naming both failures for
    /// the log, only when the fallback arm fails too (or is the arm that failed).
    public func recommend(
        arm: String, _ request: RecommendationRequest, data: any DataSource, logger: Logger = Logger(label: "armory.recommend")
    ) async throws -> Outcome {
        let algorithmName = experiment.arms.first { $0.name == arm }?.algorithm ?? arm
        let first = await attempt(arm: arm, request, data: data)
        switch first {
        case .success(let items):
            return Outcome(arm: arm, servedBy: arm, algorithm: algorithmName, items: items, failure: nil, model: models[arm]?.servedVersion)
        case .failure(let failure):
            // A request cancelled by its client is not the module's failure.
            try Task.checkCancellation()
            failures.record(experiment: experiment.id, arm: arm, kind: failure.kind)
            logger.warning("algorithm module failed; answering with the fallback arm", metadata: [
                "experiment": "\(experiment.id)", "arm": "\(arm)", "failure": "\(failure.kind.rawValue)", "detail": "\(failure.detail)",
            ])
            let fallback = experiment.fallback
            guard fallback != arm else {
                throw ArmoryError.unavailable(.armUnavailable, "experiment '\(experiment.id)': the fallback arm '\(arm)' failed: \(failure.detail)")
            }
            switch await attempt(arm: fallback, request, data: data) {
            case .success(let items):
                let fallbackAlgorithm = experiment.arms.first { $0.name == fallback }?.algorithm ?? fallback
                return Outcome(arm: arm, servedBy: fallback, algorithm: fallbackAlgorithm, items: items, failure: failure.kind,
                               model: models[fallback]?.servedVersion)
            case .failure(let second):
                failures.record(experiment: experiment.id, arm: fallback, kind: second.kind)
                throw ArmoryError.unavailable(.armUnavailable, "experiment '\(experiment.id)': arm '\(arm)' failed (\(failure.detail)) "
                    + "and so did the fallback arm '\(fallback)' (\(second.detail))")
            }
        }
    }

    /// Asks every arm once for `request`, with no time budget, and waits: what the server does
    /// before it listens, so the caches a module fills on its first call (a popular list from a
    /// large catalog can take seconds to count) are full before the first real request. Failures
    /// are ignored here; requests will meet them under the budget.
    public func warmUp(_ request: RecommendationRequest, data: any DataSource) async {
        for (algorithm, _) in algorithms.values {
            _ = try? await algorithm.recommend(request, data: data)
        }
    }

    private struct Failure: Error {
        var kind: ArmFailureCounts.Kind
        var detail: String
    }

    private func attempt(arm: String, _ request: RecommendationRequest, data: any DataSource) async -> Result<[ScoredItem], Failure> {
        guard let (algorithm, cost) = algorithms[arm] else {
            return .failure(Failure(kind: .error, detail: "no arm named '\(arm)'"))
        }
        let budget = experiment.timeBudget
        do {
            let items = try await TimeBudget.run(budget, isolation: isolation, cost: cost) {
                try await algorithm.recommend(request, data: data)
            }
            return .success(Array(items.prefix(request.limit)))
        } catch let overrun as TimeBudget.Overrun {
            return .failure(Failure(kind: .timeout, detail: "no answer within \(DurationText.format(overrun.budget))"))
        } catch {
            return .failure(Failure(kind: .error, detail: "\(error)"))
        }
    }
}
