@testable import ArmoryCore
import Foundation
import Testing

@Suite("Policies: Thompson weights, burn-in, cadence, weight versions")
struct ThompsonPolicyTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    func policy(minWeight: Double = 0.01, minTrials: Int = 100, minDuration: Duration = .seconds(600)) -> ThompsonPolicy {
        ThompsonPolicy(
            settings: BanditSettings(updateEvery: .seconds(300), minTrialsPerArm: minTrials, minDuration: minDuration, minWeight: minWeight),
            objective: .ctr
        )
    }

    @Test("floored weights: w = f + (1 − K f) · P(best)")
    func flooredWeights() {
        let weights = policy(minWeight: 0.05).weights(probabilityBest: [0.7, 0.3, 0])
        #expect(abs(weights[0] - (0.05 + 0.85 * 0.7)) < 1e-15)
        #expect(abs(weights[1] - (0.05 + 0.85 * 0.3)) < 1e-15)
        #expect(abs(weights[2] - 0.05) < 1e-15)
        #expect(abs(weights.reduce(0, +) - 1) < 1e-12)
    }

    @Test("uniform when K · f ≥ 1")
    func uniformWhenFloorTooHigh() {
        #expect(policy(minWeight: 0.25).weights(probabilityBest: [0.9, 0.05, 0.03, 0.02]) == [0.25, 0.25, 0.25, 0.25])
        let third: Double = 1.0 / 3
        #expect(policy(minWeight: 0.5).weights(probabilityBest: [0.9, 0.05, 0.05]) == [third, third, third])
    }

    @Test("burn-in waits for trials per arm and for the minimum duration")
    func burnIn() {
        let enough = [ArmObservation(arm: "a", trials: 100, successes: 5), ArmObservation(arm: "b", trials: 150, successes: 9)]
        let short = [ArmObservation(arm: "a", trials: 99, successes: 5), ArmObservation(arm: "b", trials: 150, successes: 9)]
        let policy = policy()
        #expect(policy.burnInRemaining(enough, startedAt: start, now: start + 600) == nil)
        #expect(policy.burnInRemaining(enough, startedAt: start, now: start + 599)?.contains("running for 599s of 10m") == true)
        #expect(policy.burnInRemaining(short, startedAt: start, now: start + 600)?.contains("arm 'a' has 99 of 100") == true)
    }

    @Test("an update is due when update_every has passed since the last scheduled one")
    func cadence() {
        let policy = policy()
        #expect(policy.isUpdateDue(lastUpdateAt: nil, now: start))
        #expect(!policy.isUpdateDue(lastUpdateAt: start, now: start + 299))
        #expect(policy.isUpdateDue(lastUpdateAt: start, now: start + 300))
    }

    @Test("an update makes the next version, carrying inputs, method, seed, P(best) and weights")
    func updateMakesNextVersion() throws {
        let experiment = Experiment(id: "rail", objective: .ctr, policy: .thompson, fallback: "a",
                                    arms: [Arm(name: "a", algorithm: "popularity", weight: 0.5),
                                           Arm(name: "b", algorithm: "history", weight: 0.5)],
                                    bandit: BanditSettings())
        let initial = WeightVersion.initial(for: experiment, configVersion: 3, at: start)
        #expect(initial.version == 1 && initial.weights == [0.5, 0.5] && initial.reason == .initial)

        let observations = [ArmObservation(arm: "a", trials: 1_000, successes: 40), ArmObservation(arm: "b", trials: 1_000, successes: 60)]
        let outcome = policy().update(after: initial, observations: observations, startedAt: start, now: start + 3_600, seed: 99)
        guard case .updated(let version) = outcome else {
            Issue.record("expected an update, got \(outcome)")
            return
        }
        let exact = BestArmAnalysis.exact(observations.map { $0.posterior(for: .ctr, prior: .uniform)! })
        #expect(version.version == 2 && version.configVersion == 3 && version.reason == .scheduled)
        #expect(version.inputs == observations && version.seed == 99 && version.method == .exactIntegration)
        #expect(version.probabilityBest == exact.probabilityBest)
        #expect(version.weights == policy().weights(probabilityBest: exact.probabilityBest))
        #expect(version.weights[1] > 0.9)

        // Too soon after version 2: unchanged.
        let tooSoon = policy().update(after: version, observations: observations, startedAt: start, now: start + 3_700)
        if case .updated = tooSoon { Issue.record("update_every was not respected") }
    }

    @Test("engagement arms need two decisions before they have a posterior")
    func engagementNeedsData() {
        let policy = ThompsonPolicy(settings: BanditSettings(minTrialsPerArm: 0, minDuration: .seconds(0)), objective: .engagement)
        let observations = [ArmObservation(arm: "a", trials: 1, valueSum: 30, valueSumOfSquares: 900),
                            ArmObservation(arm: "b", trials: 10, valueSum: 300, valueSumOfSquares: 9_500)]
        #expect(policy.analyze(observations) == nil)
    }
}
