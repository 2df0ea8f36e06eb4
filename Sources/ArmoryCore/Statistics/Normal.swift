import Foundation

/// The normal distribution N(mean, standardDeviation²): the posterior of an engagement mean.
public struct Normal: Sendable, Hashable {
    /// The mean.
    public var mean: Double
    /// The standard deviation, > 0.
    public var standardDeviation: Double

    /// Creates N(mean, standardDeviation²).
    public init(mean: Double, standardDeviation: Double) {
        precondition(standardDeviation > 0, "a normal distribution needs a positive standard deviation")
        self.mean = mean
        self.standardDeviation = standardDeviation
    }

    /// The probability density at `x`.
    public func density(at x: Double) -> Double {
        let z = (x - mean) / standardDeviation
        return exp(-0.5 * z * z) / (standardDeviation * (2 * Double.pi).squareRoot())
    }

    /// P(X ≤ x).
    public func cumulativeProbability(at x: Double) -> Double {
        Self.standardCDF((x - mean) / standardDeviation)
    }

    /// The x with P(X ≤ x) = p.
    public func quantile(_ p: Double) -> Double {
        mean + standardDeviation * Self.standardQuantile(p)
    }

    /// A random draw.
    public func sample(using generator: inout Xoshiro256StarStar) -> Double {
        mean + standardDeviation * generator.nextNormal()
    }

    /// Φ(z), accurate in both tails (through `erfc`).
    static func standardCDF(_ z: Double) -> Double {
        0.5 * erfc(-z / 2.0.squareRoot())
    }

    /// Φ⁻¹(p): Acklam's rational approximation refined by two Halley steps on `erfc`,
    /// which brings it to full double precision.
    static func standardQuantile(_ p: Double) -> Double {
        if p <= 0 { return -.infinity }
        if p >= 1 { return .infinity }
        // Symmetry keeps the upper tail as accurate as the lower (1 − p is exact for p ≥ 0.5).
        if p > 0.5 { return -standardQuantile(1 - p) }
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                 -2.549671010331581e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                 3.754408661907416e+00]
        let lowSplit = 0.02425
        var x: Double
        if p < lowSplit {
            let q = (-2 * log(p)).squareRoot()
            x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        } else if p <= 1 - lowSplit {
            let q = p - 0.5
            let r = q * q
            x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
                / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
        } else {
            let q = (-2 * log1p(-p)).squareRoot()
            x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        for _ in 0..<2 {
            let error = standardCDF(x) - p
            let u = error * (2 * Double.pi).squareRoot() * exp(0.5 * x * x)
            x -= u / (1 + 0.5 * x * u)
        }
        return x
    }
}
