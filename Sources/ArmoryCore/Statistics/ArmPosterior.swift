import Foundation

/// The posterior belief about one arm's true value (a rate or a mean), the input to
/// P(best) and expected loss.
public enum ArmPosterior: Sendable, Hashable {
    /// A rate: Beta(prior α + successes, prior β + failures).
    case beta(Beta)
    /// A mean (engagement): approximately normal around the sample mean.
    case normal(Normal)

    /// The posterior of a rate after `successes` in `trials` under a Beta `prior`.
    public static func rate(successes: Int, trials: Int, prior: BetaPrior = .uniform) -> ArmPosterior {
        precondition(trials >= 0 && successes >= 0 && successes <= trials, "need 0 ≤ successes ≤ trials")
        return .beta(Beta(alpha: prior.alpha + Double(successes), beta: prior.beta + Double(trials - successes)))
    }

    /// The posterior mean.
    public var mean: Double {
        switch self {
        case .beta(let distribution): distribution.mean
        case .normal(let distribution): distribution.mean
        }
    }

    /// The posterior standard deviation.
    public var standardDeviation: Double {
        switch self {
        case .beta(let distribution): distribution.variance.squareRoot()
        case .normal(let distribution): distribution.standardDeviation
        }
    }

    /// The equal-tailed credible interval holding `level` of the probability.
    public func credibleInterval(level: Double = 0.95) -> ClosedRange<Double> {
        switch self {
        case .beta(let distribution):
            return distribution.credibleInterval(level: level)
        case .normal(let distribution):
            let tail = (1 - level) / 2
            return distribution.quantile(tail)...distribution.quantile(1 - tail)
        }
    }

    /// P(X ≤ x).
    public func cumulativeProbability(at x: Double) -> Double {
        switch self {
        case .beta(let distribution): distribution.cumulativeProbability(at: x)
        case .normal(let distribution): distribution.cumulativeProbability(at: x)
        }
    }

    /// The x with P(X ≤ x) = p.
    public func quantile(_ p: Double) -> Double {
        switch self {
        case .beta(let distribution): distribution.quantile(p)
        case .normal(let distribution): distribution.quantile(p)
        }
    }

    /// A random draw.
    public func sample(using generator: inout Xoshiro256StarStar) -> Double {
        switch self {
        case .beta(let distribution): distribution.sample(using: &generator)
        case .normal(let distribution): distribution.sample(using: &generator)
        }
    }
}

/// A Beta(α, β) prior on a rate, as set by an experiment's `bandit.prior`.
public struct BetaPrior: Sendable, Hashable, Codable {
    /// Pseudo-successes, > 0.
    public var alpha: Double
    /// Pseudo-failures, > 0.
    public var beta: Double

    /// Creates a prior.
    public init(alpha: Double, beta: Double) {
        self.alpha = alpha
        self.beta = beta
    }

    /// Beta(1, 1): every rate equally likely.
    public static let uniform = BetaPrior(alpha: 1, beta: 1)
}

/// What an engagement arm has observed: count, sum and sum of squares of a per-decision value.
public struct EngagementSummary: Sendable, Hashable, Codable {
    /// Number of decisions.
    public var count: Int
    /// Sum of the values.
    public var sum: Double
    /// Sum of the squared values.
    public var sumOfSquares: Double

    /// Creates a summary.
    public init(count: Int, sum: Double, sumOfSquares: Double) {
        self.count = count
        self.sum = sum
        self.sumOfSquares = sumOfSquares
    }

    /// Whether the totals describe no data at all: a sum or sum of squares that is not a finite
    /// number (values beyond ``InputLimits/maximumValue`` stored by an earlier Armory, or a
    /// damaged store). Such an arm is reported as degenerate; nothing is computed from it.
    public var isDegenerate: Bool {
        !sum.isFinite || !sumOfSquares.isFinite || sumOfSquares < 0 || count < 0
    }

    /// The posterior of the mean: N(x̄, s²/n) (flat prior, large-sample approximation),
    /// or `nil` with fewer than two observations, when there is no variance to speak of, or
    /// when the totals are degenerate.
    public var posterior: ArmPosterior? {
        guard count >= 2, !isDegenerate else { return nil }
        let n = Double(count)
        let mean = sum / n
        let variance = max((sumOfSquares - n * mean * mean) / (n - 1), 0)
        // A zero sample variance (all values equal) still leaves uncertainty about the mean;
        // keep a tiny floor so that the distribution stays proper.
        let standardError = max((variance / n).squareRoot(), 1e-9 * max(abs(mean), 1))
        guard mean.isFinite, standardError.isFinite, standardError > 0 else { return nil }
        return .normal(Normal(mean: mean, standardDeviation: standardError))
    }
}
