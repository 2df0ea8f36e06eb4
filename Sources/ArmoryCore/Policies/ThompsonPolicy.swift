import Foundation

/// Thompson sampling as a weight policy: after burn-in, each arm's weight follows its
/// probability of being best, with an additive floor so no arm starves:
/// w_i = f + (1 − K f) · P(best_i), uniform when K f ≥ 1.
public struct ThompsonPolicy: Sendable {
    /// The outcome of asking for an update.
    public enum Outcome: Sendable, Hashable {
        /// New weights.
        case updated(WeightVersion)
        /// No update yet, and why (burn-in, cadence, missing data).
        case unchanged(reason: String)
    }

    /// The experiment's bandit settings.
    public var settings: BanditSettings
    /// The experiment's objective.
    public var objective: Objective

    /// Creates a policy.
    public init(settings: BanditSettings, objective: Objective) {
        self.settings = settings
        self.objective = objective
    }

    /// Whether a scheduled update is due: never updated, or `update_every` has passed since.
    public func isUpdateDue(lastUpdateAt: Date?, now: Date) -> Bool {
        guard let lastUpdateAt else { return true }
        return now.timeIntervalSince(lastUpdateAt) >= settings.updateEvery.timeInterval
    }

    /// Why burn-in is not over, or `nil` when it is: every arm has `min_trials_per_arm` trials
    /// and the experiment has run for `min_duration`.
    public func burnInRemaining(_ observations: [ArmObservation], startedAt: Date, now: Date) -> String? {
        let elapsed = now.timeIntervalSince(startedAt)
        if elapsed < settings.minDuration.timeInterval {
            return "burn-in: running for \(Int(elapsed))s of \(DurationText.format(settings.minDuration))"
        }
        if let short = observations.first(where: { $0.trials < settings.minTrialsPerArm }) {
            return "burn-in: arm '\(short.arm)' has \(short.trials) of \(settings.minTrialsPerArm) trials"
        }
        return nil
    }

    /// P(best) and expected loss for the observations, by exact integration, or `nil` when an
    /// arm has no posterior yet.
    public func analyze(_ observations: [ArmObservation]) -> BestArmAnalysis? {
        let posteriors = observations.compactMap { $0.posterior(for: objective, prior: settings.prior) }
        guard posteriors.count == observations.count else { return nil }
        return BestArmAnalysis.exact(posteriors)
    }

    /// The floored weights for `probabilityBest`.
    public func weights(probabilityBest: [Double]) -> [Double] {
        let count = Double(probabilityBest.count)
        let floor = settings.minWeight
        guard count * floor < 1 else {
            return Array(repeating: 1 / count, count: probabilityBest.count)
        }
        let total = probabilityBest.reduce(0, +)
        return probabilityBest.map { floor + (1 - count * floor) * ($0 / total) }
    }

    /// The next weight version after `previous`, or why there is none yet. `posteriors`, when
    /// given (period-weighted rates), replace the ones `observations` would give; arms in
    /// `previous.droppedArms` keep weight 0 and take no part.
    public func update(
        after previous: WeightVersion, observations: [ArmObservation], posteriors: [ArmPosterior?]? = nil, startedAt: Date, now: Date,
        seed: UInt64 = 0, actor: String = "worker"
    ) -> Outcome {
        guard isUpdateDue(lastUpdateAt: previous.reason == .initial ? nil : previous.createdAt, now: now) else {
            return .unchanged(reason: "next update due \(DurationText.format(settings.updateEvery)) after the last")
        }
        let active = observations.indices.filter { !previous.droppedArms.contains(observations[$0].arm) }
        guard active.count >= 2 else {
            return .unchanged(reason: "guardrails dropped every arm but \(active.map { "'\(observations[$0].arm)'" }.joined()); it has all the traffic")
        }
        let competing = active.map { observations[$0] }
        if let waiting = burnInRemaining(competing, startedAt: startedAt, now: now) {
            return .unchanged(reason: waiting)
        }
        if let degenerate = competing.first(where: { !objective.isRate && $0.engagement.isDegenerate }) {
            return .unchanged(reason: "arm '\(degenerate.arm)' has engagement totals that are not finite numbers, so its mean has no posterior")
        }
        let chosen = active.compactMap { posteriors?[$0] ?? observations[$0].posterior(for: objective, prior: settings.prior) }
        guard chosen.count == active.count else {
            return .unchanged(reason: "an arm has fewer than 2 decisions, so its mean has no posterior yet")
        }
        let analysis = BestArmAnalysis.exact(chosen)
        // A posterior far outside any real data can defeat the integration; weights must stay numbers.
        guard analysis.probabilityBest.allSatisfy(\.isFinite), analysis.probabilityBest.reduce(0, +) > 0 else {
            return .unchanged(reason: "P(best) could not be computed from the arms' totals")
        }
        var probabilityBest = Array(repeating: 0.0, count: observations.count)
        var weights = probabilityBest
        for (position, index) in active.enumerated() { probabilityBest[index] = analysis.probabilityBest[position] }
        for (position, weight) in self.weights(probabilityBest: analysis.probabilityBest).enumerated() { weights[active[position]] = weight }
        return .updated(WeightVersion(
            experimentID: previous.experimentID, version: previous.version + 1, configVersion: previous.configVersion,
            arms: observations.map(\.arm), inputs: observations, method: analysis.method, seed: seed,
            probabilityBest: probabilityBest, weights: weights, droppedArms: previous.droppedArms,
            reason: .scheduled, actor: actor, createdAt: now
        ))
    }
}
