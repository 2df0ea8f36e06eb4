/// An offline Bernoulli bandit: arms with known true rates, traffic split by the same policy
/// code the worker runs, updated after every batch. It shows what a policy costs (regret)
/// and how fast it finds the best arm, before any real traffic is spent.
public struct BanditSimulation: Sendable {
    /// What to simulate.
    public struct Configuration: Sendable, Hashable {
        /// Each arm's true success rate, in [0, 1].
        public var trueRates: [Double]
        /// Decisions per run.
        public var decisions: Int
        /// Decisions between policy updates.
        public var batchSize: Int
        /// Independent runs (seeds `seed`, `seed + 1`, …).
        public var runs: Int
        /// The policy under test.
        public var policy: PolicyKind
        /// Floor, prior and burn-in trials for Thompson (durations do not apply offline).
        public var bandit: BanditSettings
        /// The seed of the first run.
        public var seed: UInt64

        /// Creates a configuration.
        public init(trueRates: [Double], decisions: Int = 100_000, batchSize: Int = 1_000, runs: Int = 20,
                    policy: PolicyKind = .thompson, bandit: BanditSettings = BanditSettings(), seed: UInt64 = 1) {
            self.trueRates = trueRates
            self.decisions = decisions
            self.batchSize = batchSize
            self.runs = runs
            self.policy = policy
            self.bandit = bandit
            self.seed = seed
        }
    }

    /// One run's outcome.
    public struct Run: Sendable, Hashable {
        /// Σ over decisions of (best true rate − served arm's true rate): the expected clicks lost.
        public var cumulativeRegret: Double
        /// The weights in force at the end.
        public var finalWeights: [Double]
        /// Decisions served when the best arm's P(best) first reached 0.95, if it did.
        public var decisionsToConfidence: Int?
    }

    /// The configuration.
    public let configuration: Configuration

    /// Creates a simulation.
    public init(_ configuration: Configuration) {
        precondition(configuration.trueRates.count >= 2, "a bandit needs at least two arms")
        precondition(configuration.trueRates.allSatisfy { $0 >= 0 && $0 <= 1 }, "true rates must be in [0, 1]")
        precondition(configuration.decisions > 0 && configuration.batchSize > 0 && configuration.runs > 0,
                     "decisions, batch size and runs must be positive")
        self.configuration = configuration
    }

    /// Runs every run in order, calling `progress` with the number finished after each.
    public func runAll(progress: (Int) -> Void = { _ in }) -> [Run] {
        (0..<configuration.runs).map { index in
            let result = run(seed: configuration.seed &+ UInt64(index))
            progress(index + 1)
            return result
        }
    }

    /// One run from `seed`.
    public func run(seed: UInt64) -> Run {
        let rates = configuration.trueRates
        let armCount = rates.count
        let bestRate = rates.max()!
        let bestArm = rates.firstIndex(of: bestRate)!
        let policy = ThompsonPolicy(settings: configuration.bandit, objective: .ctr)
        var generator = Xoshiro256StarStar(seed: seed)
        var weights = Array(repeating: 1 / Double(armCount), count: armCount)
        var trials = Array(repeating: 0, count: armCount)
        var successes = Array(repeating: 0, count: armCount)
        var regret = 0.0
        var served = 0
        var decisionsToConfidence: Int?

        while served < configuration.decisions {
            let batch = min(configuration.batchSize, configuration.decisions - served)
            for _ in 0..<batch {
                let arm = Self.pick(weights, uniform: generator.nextUniform())
                trials[arm] += 1
                if generator.nextUniform() < rates[arm] { successes[arm] += 1 }
                regret += bestRate - rates[arm]
            }
            served += batch
            let observations = (0..<armCount).map { ArmObservation(arm: "arm-\($0)", trials: trials[$0], successes: successes[$0]) }
            guard let analysis = policy.analyze(observations) else { continue }
            if decisionsToConfidence == nil, analysis.probabilityBest[bestArm] >= 0.95 {
                decisionsToConfidence = served
            }
            if configuration.policy == .thompson, trials.allSatisfy({ $0 >= configuration.bandit.minTrialsPerArm }) {
                weights = policy.weights(probabilityBest: analysis.probabilityBest)
            }
        }
        return Run(cumulativeRegret: regret, finalWeights: weights, decisionsToConfidence: decisionsToConfidence)
    }

    /// The arm whose cumulative-weight range holds `uniform`.
    static func pick(_ weights: [Double], uniform: Double) -> Int {
        var cumulative = 0.0
        for (index, weight) in weights.enumerated() {
            cumulative += weight
            if uniform < cumulative { return index }
        }
        return weights.count - 1
    }
}
