/// An offline Bernoulli bandit: arms with known true rates, traffic split by the same policy
/// code the worker runs, updated after every batch. It shows what a policy costs (regret)
/// and how fast it finds the best arm, before any real traffic is spent; and, through the
/// worker's own ``GuardrailCheck`` and ``WeightPeriods``, how often guardrails and the
/// sample-ratio check act, rightly and wrongly.
public struct BanditSimulation: Sendable {
    /// What to simulate.
    public struct Configuration: Sendable, Hashable {
        /// Each arm's true success rate (the objective, a click), in [0, 1].
        public var trueRates: [Double]
        /// The rates from ``changeAt`` on (time-varying rates), or `nil` when they never change.
        public var ratesAfterChange: [Double]?
        /// The share of each run's decisions after which ``ratesAfterChange`` apply.
        public var changeAt: Double
        /// Decisions per run.
        public var decisions: Int
        /// Decisions between policy updates (and guardrail checks): one weight version each.
        public var batchSize: Int
        /// Independent runs (seeds `seed`, `seed + 1`, …).
        public var runs: Int
        /// The policy under test.
        public var policy: PolicyKind
        /// Floor, prior, burn-in trials and rate weighting for Thompson (durations do not apply offline).
        public var bandit: BanditSettings
        /// Each arm's true rate of the guardrail metric (a conversion, drawn independently of
        /// the click), when ``guardrail`` is set.
        public var guardrailRates: [Double]?
        /// The guardrail checked after every batch against the first arm; a breach drops the arm.
        public var guardrail: Guardrail?
        /// The guardrails' error budget.
        public var alpha: Double
        /// The share of decisions logged under the first arm whatever arm served them: a broken
        /// assignment or logging path the sample-ratio check should catch.
        public var leak: Double
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
            changeAt = 0.5
            alpha = 0.05
            leak = 0
        }
    }

    /// One run's outcome.
    public struct Run: Sendable, Hashable {
        /// Σ over decisions of (best true rate − served arm's true rate) at the time: the
        /// expected clicks lost.
        public var cumulativeRegret: Double
        /// The weights in force at the end.
        public var finalWeights: [Double]
        /// Decisions served when the best arm's P(best) first reached 0.95, if it did.
        public var decisionsToConfidence: Int?
        /// Decisions served when the guardrail first breached, if it did.
        public var decisionsToGuardrail: Int?
        /// The arms the guardrail dropped.
        public var droppedArms: [Int]
        /// The sample-ratio check's p-value at the end, against the weights of every batch.
        public var sampleRatioPValue: Double?
    }

    /// The configuration.
    public let configuration: Configuration

    /// Creates a simulation.
    public init(_ configuration: Configuration) {
        let armCount = configuration.trueRates.count
        precondition(armCount >= 2, "a bandit needs at least two arms")
        for rates in [configuration.trueRates, configuration.ratesAfterChange, configuration.guardrailRates].compactMap({ $0 }) {
            precondition(rates.count == armCount && rates.allSatisfy { $0 >= 0 && $0 <= 1 }, "one rate in [0, 1] per arm")
        }
        precondition(configuration.decisions > 0 && configuration.batchSize > 0 && configuration.runs > 0,
                     "decisions, batch size and runs must be positive")
        precondition(configuration.leak >= 0 && configuration.leak < 1 && configuration.changeAt >= 0 && configuration.changeAt <= 1,
                     "leak in [0, 1) and change point in [0, 1]")
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
