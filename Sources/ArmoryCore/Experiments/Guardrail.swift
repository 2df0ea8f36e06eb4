import Foundation

/// A metric an experiment must not harm, checked every update cycle against a reference arm:
/// when the always-valid test (``GuardrailCheck``) shows an arm worse than the reference by more
/// than the tolerated change, the guardrail takes its action. `guardrails:` in YAML.
public struct Guardrail: Sendable, Hashable, Codable {
    /// What is measured per decision.
    public enum Metric: String, Sendable, Hashable, Codable, CaseIterable {
        /// Decisions with a click.
        case ctr
        /// Decisions with a conversion.
        case conversion
        /// Engagement value per decision.
        case engagement
        /// Decisions whose arm's module threw (the fallback arm answered).
        case errorRate = "error_rate"
        /// Decisions whose arm's module overran the time budget (the fallback arm answered).
        case timeoutRate = "timeout_rate"
        /// Decisions the fallback arm answered for either reason.
        case fallbackRate = "fallback_rate"

        /// Which way is better when the file does not say.
        public var defaultDirection: Direction {
            switch self {
            case .ctr, .conversion, .engagement: .higherIsBetter
            case .errorRate, .timeoutRate, .fallbackRate: .lowerIsBetter
            }
        }

        /// Whether each decision's value is 0 or 1 (a rate), as opposed to a mean of any values.
        public var isRate: Bool { self != .engagement }
    }

    /// Which way the metric should go.
    public enum Direction: String, Sendable, Hashable, Codable, CaseIterable {
        case higherIsBetter = "higher_is_better"
        case lowerIsBetter = "lower_is_better"
    }

    /// The change against the reference tolerated before acting.
    public enum Tolerance: Sendable, Hashable, Codable, CustomStringConvertible {
        /// A share of the reference's value (written as a percentage in YAML).
        case relative(Double)
        /// A difference in the metric's own units: `0.01` tolerates one percentage point.
        case absolute(Double)

        public var description: String {
            switch self {
            case .relative(let share): String(format: "%g%%", share * 100)
            case .absolute(let difference): String(format: "%g", difference)
            }
        }
    }

    /// What a breach does.
    public enum Action: String, Sendable, Hashable, Codable, CaseIterable {
        /// An audit entry and a webhook call; traffic is not touched.
        case alert
        /// The arm goes to weight 0 and stays there until a person restores it.
        case dropArm = "drop_arm"
        /// The whole experiment pauses: every unit gets the fallback arm.
        case pause
    }

    /// The trials an arm and its reference each need before a guardrail may act, by default.
    public static let defaultMinTrials = 1_000

    /// The metric.
    public var metric: Metric
    /// Which way is better.
    public var direction: Direction
    /// The tolerated change.
    public var tolerance: Tolerance
    /// The arm compared against; `nil` for the experiment's fallback arm.
    public var reference: String?
    /// What a breach does.
    public var action: Action
    /// Trials the arm and the reference each need before the guardrail may act.
    public var minTrials: Int

    /// Creates a guardrail.
    public init(
        metric: Metric, direction: Direction? = nil, tolerance: Tolerance = .absolute(0), reference: String? = nil,
        action: Action = .alert, minTrials: Int = Guardrail.defaultMinTrials
    ) {
        self.metric = metric
        self.direction = direction ?? metric.defaultDirection
        self.tolerance = tolerance
        self.reference = reference
        self.action = action
        self.minTrials = minTrials
    }

    /// A short name for logs, audit entries and results: the metric, then direction, tolerance and action.
    public var summary: String {
        "\(metric.rawValue) (\(direction.rawValue), tolerance \(tolerance), \(action.rawValue))"
    }
}

/// What protects an experiment besides its guardrails: the error budget they share, and what a
/// sample-ratio mismatch does. `safety:` in YAML.
public struct SafetySettings: Sendable, Hashable, Codable {
    /// What a sample-ratio mismatch does.
    public enum MismatchAction: String, Sendable, Hashable, Codable, CaseIterable {
        /// Shown in results and the audit log, sent to the webhook.
        case alert
        /// The experiment pauses, as a guardrail's `pause` does.
        case pause
    }

    /// The chance, over the experiment's whole life and every look, that any guardrail acts on
    /// an arm that is in truth no worse than tolerated; split evenly over guardrails and arms.
    public var alpha: Double
    /// What a sample-ratio mismatch does.
    public var onMismatch: MismatchAction
    /// The p-value below which the split counts as mismatched.
    public var mismatchPValue: Double

    /// Creates settings; the defaults are those documented in the README.
    public init(alpha: Double = 0.05, onMismatch: MismatchAction = .alert, mismatchPValue: Double = 0.001) {
        self.alpha = alpha
        self.onMismatch = onMismatch
        self.mismatchPValue = mismatchPValue
    }
}

/// How per-arm rates are totalled when traffic moved during the phase.
public enum RateWeighting: String, Sendable, Hashable, Codable, CaseIterable {
    /// Every decision counts alike: an arm's rate is its successes over its trials.
    case pooled
    /// Each weight version's period counts by its share of all decisions: an arm's rate is
    /// Σ (period share × the arm's rate in the period), so an arm that got its traffic in good
    /// periods is not favoured.
    case periodWeighted = "period_weighted"
}
