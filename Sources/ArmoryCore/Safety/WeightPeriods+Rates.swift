extension WeightPeriods {
    /// One arm's period-weighted mean: Σ πₚ · meanₚ over the periods in which the arm had
    /// decisions, each period p weighted by its share πₚ of all decisions in those periods, and
    /// the variance of that mean, Σ πₚ² · varianceₚ / nₚ.
    public struct WeightedMean: Sendable, Hashable, Codable {
        /// The period-weighted mean.
        public var mean: Double
        /// The same of each period's p̃ (see ``MetricSample/smoothedMean``): the mean the variance
        /// belongs to.
        public var smoothedMean: Double
        /// Its variance.
        public var variance: Double
        /// The arm's decisions in all periods.
        public var trials: Int
    }

    /// Each arm's period-weighted mean of `metric`, in arm order (`nil` for an arm without data).
    public func weightedMeans(of metric: Guardrail.Metric) -> [WeightedMean?] {
        experiment.arms.indices.map { index in
            let samples = periods.compactMap { period in
                MetricSample(period.totals[index], metric: metric).map { (share: Double(period.trials), sample: $0) }
            }
            let total = samples.reduce(0) { $0 + $1.share }
            guard total > 0 else { return nil }
            var mean = 0.0
            var smoothed = 0.0
            var variance = 0.0
            for (share, sample) in samples {
                let weight = share / total
                mean += weight * sample.mean
                smoothed += weight * sample.smoothedMean
                variance += weight * weight * sample.varianceOfMean
            }
            return WeightedMean(mean: mean, smoothedMean: smoothed, variance: variance, trials: samples.reduce(0) { $0 + $1.sample.trials })
        }
    }

    /// Each arm's posterior from its period-weighted mean, in arm order (`nil` without data).
    /// A rate's is the prior plus an effective sample of n = p̃(1 − p̃) / variance decisions
    /// with m·n successes (p̃ the smoothed mean the variance was computed from, so an arm with no
    /// successes yet keeps the weight of its decisions). A mean's is N(mean, variance).
    public func posteriors(prior: BetaPrior) -> [ArmPosterior?] {
        let objective = experiment.objective
        return weightedMeans(of: Guardrail.Metric(objective)).map { weighted in
            guard let weighted, weighted.variance > 0, weighted.mean.isFinite else { return nil }
            guard objective.isRate else {
                return .normal(Normal(mean: weighted.mean, standardDeviation: weighted.variance.squareRoot()))
            }
            let mean = min(max(weighted.mean, 0), 1)
            let effective = weighted.smoothedMean * (1 - weighted.smoothedMean) / weighted.variance
            return .beta(Beta(alpha: prior.alpha + mean * effective, beta: prior.beta + (1 - mean) * effective))
        }
    }
}
