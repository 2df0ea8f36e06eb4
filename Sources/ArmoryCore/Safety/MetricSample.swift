/// One metric's per-decision mean and variance in an arm's totals: what the guardrail test and
/// period-weighted rates compute with.
public struct MetricSample: Sendable, Hashable {
    /// Decisions.
    public var trials: Int
    /// The mean per decision (a rate for 0/1 metrics).
    public var mean: Double
    /// The variance of one decision's value. For a rate, p̃(1 − p̃) with p̃ = (k + ½)/(n + 1),
    /// so that a rate of exactly 0 or 1 still carries the uncertainty of a finite sample.
    public var variance: Double
    /// p̃ for a rate, the mean for any other metric: the mean the variance belongs to.
    public var smoothedMean: Double

    /// The sample of `metric` in `totals`, or `nil` with no decisions (fewer than two for a
    /// mean of any values) or totals that are not finite numbers.
    public init?(_ totals: ArmAggregate, metric: Guardrail.Metric) {
        let n = Double(totals.trials)
        guard totals.trials > 0 else { return nil }
        trials = totals.trials
        let count: Int
        switch metric {
        case .engagement:
            guard totals.trials >= 2, totals.engagementSum.isFinite, totals.engagementSumOfSquares.isFinite else { return nil }
            mean = totals.engagementSum / n
            variance = max((totals.engagementSumOfSquares - n * mean * mean) / (n - 1), 0)
            smoothedMean = mean
            return
        case .ctr: count = totals.clicked
        case .conversion: count = totals.converted
        case .errorRate: count = totals.errors
        case .timeoutRate: count = totals.timeouts
        case .fallbackRate: count = totals.errors + totals.timeouts
        }
        let successes = Double(min(max(count, 0), totals.trials))
        mean = successes / n
        smoothedMean = (successes + 0.5) / (n + 1)
        variance = smoothedMean * (1 - smoothedMean)
    }

    /// The variance of the mean.
    public var varianceOfMean: Double { variance / Double(trials) }
}

extension Guardrail.Metric {
    /// The metric an objective optimizes.
    public init(_ objective: Objective) {
        switch objective {
        case .ctr: self = .ctr
        case .conversion: self = .conversion
        case .engagement: self = .engagement
        }
    }
}
