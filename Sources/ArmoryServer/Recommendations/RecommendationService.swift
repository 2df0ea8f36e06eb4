import ArmoryCore
import ArmoryKit
import ArmoryStorage
import Foundation
import Logging

/// Answers `GET /v1/recommendations`: places the user in an arm by the experiment's current
/// weights, asks the arm's module (under the time budget, with the fallback arm behind it),
/// signs a decision id and records the impression when the user counts in the experiment.
public struct RecommendationService: Sendable {
    /// The answer.
    public struct Recommendations: Sendable, Codable, Hashable {
        /// One movie.
        public struct Item: Sendable, Codable, Hashable {
            /// The movie's id.
            public var movieID: Int
            /// Its title.
            public var title: String
            /// The module's score.
            public var score: Double

            /// Creates an item.
            public init(movieID: Int, title: String, score: Double) {
                self.movieID = movieID
                self.title = title
                self.score = score
            }
        }

        /// Send it back with clicks, conversions and engagement.
        public var decisionID: String
        /// The experiment.
        public var experiment: String
        /// The arm the user was placed in.
        public var arm: String
        /// The algorithm whose list this is (the fallback arm's, when the arm's module failed).
        public var algorithm: String
        /// Whether the decision counts in the experiment (false outside coverage, while paused or pinned).
        public var inExperiment: Bool
        /// Whether the fallback arm answered because the arm's module failed.
        public var fallbackUsed: Bool
        /// The movies, best first.
        public var items: [Item]
        /// The trained model version that made the list (`movies-mf@3`), when its arm serves one.
        public var model: String?

        /// Creates an answer.
        public init(
            decisionID: String, experiment: String, arm: String, algorithm: String, inExperiment: Bool, fallbackUsed: Bool, items: [Item],
            model: String? = nil
        ) {
            self.model = model
            self.decisionID = decisionID
            self.experiment = experiment
            self.arm = arm
            self.algorithm = algorithm
            self.inExperiment = inExperiment
            self.fallbackUsed = fallbackUsed
            self.items = items
        }
    }

    /// The most movies one request may ask for.
    public static let maximumLimit = 100

    let registry: ExperimentRegistry
    let data: any DataSource
    let signer: DecisionSigner
    let writer: EventWriter
    let metrics: ServerMetrics

    /// Recommendations for `userID` in `experimentID`.
    public func recommend(userID: String?, experimentID: String?, limit limitText: String?, logger: Logger) async throws -> Recommendations {
        guard let userID, !userID.isEmpty else { throw ArmoryError.invalid("user_id", "user_id is required") }
        if let problem = InputLimits.problem(userID: userID) { throw ArmoryError.invalid("user_id", problem) }
        guard let experimentID, !experimentID.isEmpty else { throw ArmoryError.invalid("experiment", "experiment is required") }
        var limit = 10
        if let limitText {
            guard let parsed = Int(limitText), (1...Self.maximumLimit).contains(parsed) else {
                throw ArmoryError.invalid("limit", "limit must be a whole number from 1 to \(Self.maximumLimit), not '\(limitText)'")
            }
            limit = parsed
        }
        guard let live = registry.experiment(experimentID) else { throw ArmoryError.unknownExperiment(experimentID) }

        let now = Date()
        // Millisecond precision, as in the decision id, so the impression and later outcomes
        // carry the very same decision time.
        let time = Date(timeIntervalSince1970: (now.timeIntervalSince1970 * 1_000).rounded() / 1_000)
        let placement = live.place(userID)
        let outcome: ArmRecommender.Outcome
        do {
            outcome = try await live.recommender.recommend(
                arm: placement.arm, RecommendationRequest(userID: userID, limit: limit, time: now), data: data, logger: logger)
        } catch let error as ArmoryError where error.code == .armUnavailable {
            metrics.increment("armory_recommendation_errors_total", [("experiment", live.id)])
            logger.error("no arm could answer", metadata: ["experiment": "\(live.id)", "detail": "\(error.message)"])
            throw ArmoryError.unavailable(.armUnavailable, "neither arm '\(placement.arm)' nor the fallback arm could recommend; try again")
        }
        let decision = Decision(experiment: live.id, arm: placement.arm, configVersion: live.config.version,
                                weightVersion: live.weights.version, userID: userID, time: time, nonce: Decision.nextNonce(),
                                items: outcome.items.map(\.movieID), isCounted: placement.isCounted)
        let decisionID = signer.id(for: decision)
        if placement.isCounted {
            let impression = Event(eventID: decisionID, type: .impression, time: time, decisionID: decisionID, experiment: live.id,
                                   arm: placement.arm, configVersion: live.config.version, weightVersion: live.weights.version,
                                   decisionTime: time, userID: userID, items: outcome.items.map(\.movieID),
                                   servedBy: outcome.servedBy, moduleFailure: outcome.failure, model: outcome.model)
            do {
                try writer.enqueue([impression])
            } catch {
                // The list is still served; the decision just goes uncounted.
                metrics.increment("armory_impressions_dropped_total", [("experiment", live.id)])
                logger.warning("impression not recorded", metadata: ["decision_id": "\(decisionID)", "error": "\(error)"])
            }
        }
        metrics.increment("armory_decisions_total", [("experiment", live.id), ("arm", placement.arm), ("counted", String(placement.isCounted))])
        logger.debug("decision", metadata: [
            "decision_id": "\(decisionID)", "experiment": "\(live.id)", "arm": "\(placement.arm)", "served_by": "\(outcome.servedBy)",
            "model": "\(outcome.model ?? "-")",
        ])
        let movies = try await data.catalog()
        return Recommendations(
            decisionID: decisionID, experiment: live.id, arm: placement.arm, algorithm: outcome.algorithm, inExperiment: placement.isCounted,
            fallbackUsed: outcome.servedBy != placement.arm,
            items: outcome.items.map { Recommendations.Item(movieID: $0.movieID, title: movies.movie(id: $0.movieID)?.title ?? "", score: $0.score) },
            model: outcome.model
        )
    }
}
