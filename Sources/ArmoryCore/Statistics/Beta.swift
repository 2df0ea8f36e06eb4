import Foundation

/// The beta distribution Beta(alpha, beta): the posterior of a rate (CTR, conversion).
public struct Beta: Sendable, Hashable {
    /// The first shape, > 0 (prior α + successes).
    public let alpha: Double
    /// The second shape, > 0 (prior β + failures).
    public let beta: Double
    @usableFromInline let first: Gamma
    @usableFromInline let second: Gamma
    private let logNormalizer: Double

    /// Creates Beta(alpha, beta).
    public init(alpha: Double, beta: Double) {
        precondition(alpha > 0 && beta > 0 && alpha.isFinite && beta.isFinite,
                     "a beta distribution needs positive, finite shapes")
        self.alpha = alpha
        self.beta = beta
        first = Gamma(shape: alpha)
        second = Gamma(shape: beta)
        logNormalizer = SpecialFunctions.logBeta(alpha, beta)
    }

    /// The mean α / (α + β).
    public var mean: Double { alpha / (alpha + beta) }

    /// The variance αβ / ((α + β)²(α + β + 1)).
    public var variance: Double {
        let total = alpha + beta
        return alpha * beta / (total * total * (total + 1))
    }

    /// The probability density at `x`.
    public func density(at x: Double) -> Double {
        guard x > 0, x < 1 else {
            if x == 0 { return alpha < 1 ? .infinity : (alpha == 1 ? beta : 0) }
            if x == 1 { return beta < 1 ? .infinity : (beta == 1 ? alpha : 0) }
            return 0
        }
        return exp(logDensity(logX: log(x), logOneMinusX: log1p(-x)))
    }

    /// log density from log x and log(1 − x), so that many arms can share the logarithms.
    func logDensity(logX: Double, logOneMinusX: Double) -> Double {
        (alpha - 1) * logX + (beta - 1) * logOneMinusX - logNormalizer
    }

    /// P(X ≤ x), the regularized incomplete beta function.
    public func cumulativeProbability(at x: Double) -> Double {
        SpecialFunctions.regularizedIncompleteBeta(x, a: alpha, b: beta)
    }

    /// The x with P(X ≤ x) = p.
    public func quantile(_ p: Double) -> Double {
        SpecialFunctions.inverseRegularizedIncompleteBeta(p, a: alpha, b: beta)
    }

    /// The equal-tailed credible interval holding `level` of the probability (0.95 by default).
    public func credibleInterval(level: Double = 0.95) -> ClosedRange<Double> {
        let tail = (1 - level) / 2
        return quantile(tail)...quantile(1 - tail)
    }

    /// A random draw, as X / (X + Y) with X ~ Gamma(α), Y ~ Gamma(β).
    @inlinable
    public func sample(using generator: inout Xoshiro256StarStar) -> Double {
        if alpha < 1 && beta < 1 {
            // Both draws may underflow to zero; divide in log space instead.
            let logX = first.sampleLogarithm(using: &generator)
            let logY = second.sampleLogarithm(using: &generator)
            return 1 / (1 + exp(logY - logX))
        }
        let x = first.sample(using: &generator)
        let y = second.sample(using: &generator)
        return x / (x + y)
    }
}
