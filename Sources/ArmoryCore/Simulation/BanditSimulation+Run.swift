import Foundation

extension BanditSimulation {
    /// One run from `seed`.
    public func run(seed: UInt64) -> Run {
        var state = RunState(configuration: configuration, seed: seed)
        var served = 0
        while served < configuration.decisions {
            let batch = min(configuration.batchSize, configuration.decisions - served)
            state.serve(batch, startingAt: served)
            served += batch
            state.afterBatch(served: served)
        }
        return state.result
    }
}

/// What one run keeps: the weights, and every batch's totals as a weight version's period.
private struct RunState {
    let configuration: BanditSimulation.Configuration
    let experiment: Experiment
    let policy: ThompsonPolicy
    var generator: Xoshiro256StarStar
    var weights: [Double]
    var dropped: Set<Int> = []
    var versions: [WeightVersion] = []
    var periods: [ArmAggregate] = []
    var regret = 0.0
    var decisionsToConfidence: Int?
    var decisionsToGuardrail: Int?

    init(configuration: BanditSimulation.Configuration, seed: UInt64) {
        self.configuration = configuration
        let names = configuration.trueRates.indices.map { "arm-\($0)" }
        experiment = Experiment(
            id: "simulation", objective: .ctr, policy: configuration.policy, fallback: names[0],
            arms: names.map { Arm(name: $0, algorithm: "simulated", weight: 1 / Double(names.count)) },
            bandit: configuration.bandit, guardrails: configuration.guardrail.map { [$0] } ?? [],
            safety: SafetySettings(alpha: configuration.alpha)
        )
        policy = ThompsonPolicy(settings: configuration.bandit, objective: .ctr)
        generator = Xoshiro256StarStar(seed: seed)
        weights = Array(repeating: 1 / Double(names.count), count: names.count)
    }

    /// Serves `batch` decisions with the weights in force, as one new weight version.
    mutating func serve(_ batch: Int, startingAt first: Int) {
        let version = versions.count + 1
        versions.append(WeightVersion(experimentID: experiment.id, version: version, configVersion: 1, arms: experiment.arms.map(\.name),
                                      weights: weights, reason: version == 1 ? .initial : .scheduled, actor: "simulation", createdAt: .distantPast))
        var totals = experiment.arms.map {
            ArmAggregate(experiment: experiment.id, arm: $0.name, trials: 0, clicked: 0, converted: 0, engagementSum: 0,
                         engagementSumOfSquares: 0, weightVersion: version)
        }
        let change = Int((Double(configuration.decisions) * configuration.changeAt).rounded())
        for decision in first..<(first + batch) {
            let rates = decision >= change ? configuration.ratesAfterChange ?? configuration.trueRates : configuration.trueRates
            let arm = BanditSimulation.pick(weights, uniform: generator.nextUniform())
            let clicked = generator.nextUniform() < rates[arm]
            let converted = generator.nextUniform() < (configuration.guardrailRates?[arm] ?? 0)
            regret += rates.max()! - rates[arm]
            let logged = configuration.leak > 0 && generator.nextUniform() < configuration.leak ? 0 : arm
            totals[logged].trials += 1
            if clicked { totals[logged].clicked += 1 }
            if converted { totals[logged].converted += 1 }
        }
        periods += totals
    }

    /// The guardrail check, then the policy's update, as the worker runs them.
    mutating func afterBatch(served: Int) {
        let cut = WeightPeriods(experiment: experiment, aggregates: periods, versions: versions)
        if configuration.guardrail != nil {
            let names = Set(dropped.map { experiment.arms[$0].name })
            for result in GuardrailCheck(experiment: experiment).results(cut, dropped: names) where result.state == .breached {
                decisionsToGuardrail = decisionsToGuardrail ?? served
                if let index = experiment.arms.firstIndex(where: { $0.name == result.arm }) { dropped.insert(index) }
            }
        }
        let observations = experiment.observations(from: periods)
        let bestArm = (configuration.ratesAfterChange ?? configuration.trueRates).indices.max {
            (configuration.ratesAfterChange ?? configuration.trueRates)[$0] < (configuration.ratesAfterChange ?? configuration.trueRates)[$1]
        }!
        if let analysis = policy.analyze(observations), decisionsToConfidence == nil, analysis.probabilityBest[bestArm] >= 0.95 {
            decisionsToConfidence = served
        }
        var previous = versions[versions.count - 1]
        previous.droppedArms = dropped.map { experiment.arms[$0].name }
        if configuration.policy == .thompson {
            let posteriors = configuration.bandit.rates == .periodWeighted ? cut.posteriors(prior: configuration.bandit.prior) : nil
            if case .updated(let next) = policy.update(after: previous, observations: observations, posteriors: posteriors,
                                                       startedAt: .distantPast, now: .distantFuture) {
                weights = next.weights
                return
            }
        }
        if !dropped.isEmpty {
            weights = WeightVersion.normalized(weights.indices.map { dropped.contains($0) ? 0 : weights[$0] },
                                               arms: experiment.arms.map(\.name), fallback: experiment.fallback)
        }
    }

    var result: BanditSimulation.Run {
        // Each simulated decision is a user of its own: its first assignment is its only one.
        let assignments = periods.map { FirstAssignment(experiment: $0.experiment, arm: $0.arm, weightVersion: $0.weightVersion, units: $0.trials) }
        let cut = WeightPeriods(experiment: experiment, aggregates: periods, versions: versions, assignments: assignments)
        return BanditSimulation.Run(
            cumulativeRegret: regret, finalWeights: weights, decisionsToConfidence: decisionsToConfidence,
            decisionsToGuardrail: decisionsToGuardrail, droppedArms: dropped.sorted(), sampleRatioPValue: cut.sampleRatioMismatch?.pValue
        )
    }
}
