import ArmoryCore
import ArmoryStorage
import Foundation

/// How an experiment's arms are doing in its current phase: per arm the decisions, successes,
/// rate, posterior, 95% credible interval, P(best), expected loss and weight in force, how many
/// of its decisions its fallback answered, and a sample-ratio-mismatch check. What
/// `GET /v1/experiments/{id}/results` returns.
public struct ExperimentResults: Sendable, Codable, Hashable {
    /// One arm.
    public struct ArmResult: Sendable, Codable, Hashable {
        /// The arm.
        public var arm: String
        /// Its algorithm.
        public var algorithm: String
        /// Decisions counted (impressions in the phase).
        public var trials: Int
        /// Decisions with a success: a click (ctr) or a conversion (conversion); 0 for engagement.
        public var successes: Int
        /// Successes per decision, or the mean engagement per decision; `nil` with no decisions.
        public var rate: Double?
        /// The posterior mean; `nil` when there is no posterior yet.
        public var posteriorMean: Double?
        /// The 95% credible interval's lower end.
        public var intervalLow: Double?
        /// The 95% credible interval's upper end.
        public var intervalHigh: Double?
        /// The probability that this arm is the best.
        public var probabilityBest: Double?
        /// The expected loss of choosing this arm.
        public var expectedLoss: Double?
        /// The weight in force.
        public var weight: Double
        /// Decisions the fallback arm answered because this arm's module failed: they count as
        /// the arm's trials (an arm is its module with the fallback behind it), so a high share
        /// means the arm's results are largely its fallback's.
        public var fallbacks: Int
        /// `fallbacks` per decision; `nil` with no decisions.
        public var fallbackRate: Double?
        /// Of the fallbacks, those where the module overran the experiment's time budget.
        public var timeouts: Int
        /// Of the fallbacks, those where the module threw.
        public var errors: Int
        /// Whether a guardrail dropped the arm (weight 0 until a person restores it).
        public var isDropped: Bool
        /// The rate (or mean) with each weight version's period counted by its share of all
        /// decisions; `nil` without data.
        public var periodWeightedRate: Double?
        /// P(best) from the period-weighted rates.
        public var periodWeightedProbabilityBest: Double?
        /// The weight a Thompson update from the period-weighted rates would give now.
        public var periodWeightedWeight: Double?
        /// The arm's weight averaged over the phase's decisions (each weight version counted by
        /// the decisions made under it).
        public var averageWeight: Double?
        /// This arm's share of ``ExperimentResults/gainOverEqualSplit``.
        public var gainOverEqualSplit: Double?
    }

    /// An arm's decisions made by one trained model version (or, with `model` empty, by none:
    /// its fallback's).
    public struct ModelResult: Sendable, Codable, Hashable {
        public var arm: String
        public var model: String
        public var trials: Int
        /// Decisions with a success (a click or conversion, by the objective); 0 for engagement.
        public var successes: Int
        /// Successes per decision, or the mean engagement per decision.
        public var rate: Double?
    }

    /// The fallback rate above which an arm's results carry a warning.
    public static let fallbackWarningRate = 0.01

    /// The experiment.
    public var experiment: String
    /// What it optimizes.
    public var objective: Objective
    /// `running`, `paused` or `pinned`.
    public var status: String
    /// The config version served.
    public var configVersion: Int
    /// The weight version in force.
    public var weightVersion: Int
    /// When the phase began; earlier decisions are not counted.
    public var phaseStart: Date
    /// How P(best) was computed.
    public var method: String?
    /// The arms, in the experiment's order.
    public var arms: [ArmResult]
    /// The chi-square p-value of the arms' users against the weights each was first assigned
    /// with (small means the split is not what the weights say: a bug in assignment or in event
    /// collection).
    public var srmPValue: Double?
    /// Why there is no p-value, when there is none.
    public var srmNote: String?
    /// The sample-ratio check in full: counts, expected counts, state and action.
    public var sampleRatio: SampleRatioState
    /// How the policy totals rates: `pooled` or `period_weighted`.
    public var rates: RateWeighting
    /// Each guardrail's state for each arm it checks.
    public var guardrails: [GuardrailResult]
    /// What a reader must know before trusting the numbers (an arm answered by its fallback
    /// more than ``fallbackWarningRate`` of the time).
    public var warnings: [String]
    /// Successes (or engagement) gained by the weights used (averaged over the phase's decisions)
    /// over an equal split of the same decisions, by the arms' observed rates: the regret the
    /// weights saved.
    public var gainOverEqualSplit: Double?
    /// ``gainOverEqualSplit`` as a share of an equal split's expected successes.
    public var gainOverEqualSplitShare: Double?
    /// For experiments with arms that serve trained models, each arm's decisions split by the
    /// model version that made them (an alias that moved during the phase shows both).
    public var byModel: [ModelResult]?

    /// `aggregates` as results rows, by the experiment's objective.
    public mutating func split(byModel aggregates: [ModelAggregate], objective: Objective) {
        byModel = aggregates.map { total in
            let successes = objective == .conversion ? total.converted : objective == .ctr ? total.clicked : 0
            let rate: Double? = total.trials == 0 ? nil : objective.isRate ? Double(successes) / Double(total.trials)
                : total.engagementSum / Double(total.trials)
            return ModelResult(arm: total.arm, model: total.model, trials: total.trials, successes: successes, rate: finite(rate))
        }
    }

    /// The results of `live` from its `aggregates` (per arm and weight version), its weight
    /// `versions` and its units' first `assignments`.
    public init(live: LiveExperiment, aggregates: [ArmAggregate], versions: [WeightVersion], assignments: [FirstAssignment]) {
        let experiment = live.experiment
        let observations = experiment.observations(from: aggregates)
        let estimates = ArmEstimates(experiment, observations: observations)
        let weights = live.effectiveWeights
        let periods = WeightPeriods(experiment: experiment, aggregates: aggregates, versions: versions, assignments: assignments)
        self.experiment = experiment.id
        objective = experiment.objective
        status = live.statusName
        configVersion = live.config.version
        weightVersion = live.weights.version
        phaseStart = live.phaseStart
        method = estimates.method?.description
        rates = experiment.rateWeighting
        sampleRatio = SampleRatioState(periods: periods, settings: experiment.safety)
        guardrails = GuardrailCheck(experiment: experiment).results(
            periods, dropped: Set(live.weights.droppedArms), since: GuardrailCheck.restoredSince(versions))
        arms = experiment.arms.indices.map { index in
            let estimate = estimates.arms[index]
            let observation = estimate.observation
            return ArmResult(
                arm: observation.arm, algorithm: experiment.arms[index].algorithm, trials: observation.trials, successes: estimate.successes,
                rate: estimate.rate, posteriorMean: estimate.posteriorMean, intervalLow: estimate.interval?.lowerBound,
                intervalHigh: estimate.interval?.upperBound, probabilityBest: estimate.probabilityBest, expectedLoss: estimate.expectedLoss,
                weight: weights[index], fallbacks: observation.fallbacks,
                fallbackRate: observation.trials == 0 ? nil : Double(observation.fallbacks) / Double(observation.trials),
                timeouts: observation.timeouts, errors: observation.errors, isDropped: live.weights.droppedArms.contains(observation.arm)
            )
        }
        warnings = []
        addPeriodWeighted(periods, live: live, observations: observations)
        addGainOverEqualSplit(periods)
        srmPValue = sampleRatio.pValue
        srmNote = sampleRatio.pValue == nil ? sampleRatio.note : nil
        warnings += arms.compactMap { arm in
            guard let rate = arm.fallbackRate, rate > Self.fallbackWarningRate, arm.arm != experiment.fallback else { return nil }
            return "arm '\(arm.arm)': \(Self.percent(rate)) of its decisions were answered by the fallback arm '\(experiment.fallback)' "
                + "(\(arm.timeouts) timeouts, \(arm.errors) errors): its results are partly the fallback's"
        }
        if !experiment.objective.isRate {
            warnings += observations.filter(\.engagement.isDegenerate).map { observation in
                "arm '\(observation.arm)': its engagement totals are not finite numbers (values beyond today's limit stored earlier), "
                    + "so it has no mean, posterior or P(best)"
            }
        }
        warnings += guardrails.filter { $0.state == .breached }.map { "guardrail \($0.metric.rawValue) (\($0.action.rawValue)): \($0.note)" }
        if sampleRatio.state == .mismatch { warnings.append("sample ratio: \(sampleRatio.note)") }
    }

    /// The arms as CSV (RFC 4180), one row per arm, with a header.
    public var csv: String {
        let header = ["experiment", "arm", "algorithm", "trials", "successes", "rate", "posterior_mean", "interval_low", "interval_high",
                      "probability_best", "expected_loss", "weight", "fallbacks", "fallback_rate", "timeouts", "errors", "average_weight",
                      "gain_over_equal_split"]
        return CSVText.table(header: header, rows: arms.map { arm in
            [CSVText.field(experiment), CSVText.field(arm.arm), CSVText.field(arm.algorithm), String(arm.trials), String(arm.successes),
             CSVText.number(arm.rate), CSVText.number(arm.posteriorMean), CSVText.number(arm.intervalLow), CSVText.number(arm.intervalHigh),
             CSVText.number(arm.probabilityBest), CSVText.number(arm.expectedLoss), String(arm.weight), String(arm.fallbacks),
             CSVText.number(arm.fallbackRate), String(arm.timeouts), String(arm.errors), CSVText.number(arm.averageWeight),
             CSVText.number(arm.gainOverEqualSplit)]
        })
    }

    /// `rate` as a percentage with one decimal ("3.2%").
    public static func percent(_ rate: Double) -> String {
        String(format: "%.1f%%", rate * 100)
    }
}

/// `value` when it is a finite number.
func finite(_ value: Double?) -> Double? {
    value.flatMap { $0.isFinite ? $0 : nil }
}
