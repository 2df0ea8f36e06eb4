import Foundation

/// Special functions behind the distributions: the regularized incomplete beta and gamma
/// functions and their inverses. Written for double precision, checked in the tests against
/// values computed independently (SciPy, closed forms).
enum SpecialFunctions {
    /// log B(a, b) = log Γ(a) + log Γ(b) − log Γ(a + b).
    static func logBeta(_ a: Double, _ b: Double) -> Double {
        lgamma(a) + lgamma(b) - lgamma(a + b)
    }

    /// The regularized incomplete beta function I_x(a, b), for a, b > 0 and x in [0, 1].
    static func regularizedIncompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logFront = a * log(x) + b * log1p(-x) - logBeta(a, b)
        // The continued fraction converges fast for x below the mean-ish point; use the
        // symmetry I_x(a, b) = 1 − I_{1−x}(b, a) above it.
        if x < (a + 1) / (a + b + 2) {
            return exp(logFront) * betaContinuedFraction(x, a: a, b: b) / a
        }
        return 1 - exp(logFront) * betaContinuedFraction(1 - x, a: b, b: a) / b
    }

    /// The continued fraction for I_x(a, b), evaluated by the modified Lentz method.
    private static func betaContinuedFraction(_ x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300
        let epsilon = 1e-16
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var result = d
        for m in 1...10_000 {
            let m = Double(m)
            let twoM = 2 * m
            // Even step.
            var numerator = m * (b - m) * x / ((a + twoM - 1) * (a + twoM))
            d = 1 + numerator * d
            if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            result *= d * c
            // Odd step.
            numerator = -(a + m) * (a + b + m) * x / ((a + twoM) * (a + twoM + 1))
            d = 1 + numerator * d
            if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            result *= delta
            if abs(delta - 1) < epsilon { break }
        }
        return result
    }

    /// The x with I_x(a, b) = p: Newton steps on a bracket that bisection keeps honest.
    static func inverseRegularizedIncompleteBeta(_ p: Double, a: Double, b: Double) -> Double {
        if p <= 0 { return 0 }
        if p >= 1 { return 1 }
        // Solve in the tail nearer to p: 1 − p is exact for p ≥ 0.5 (Sterbenz), while
        // I_x(a, b) − p near 1 would lose the digits that matter.
        if p > 0.5 {
            return 1 - inverseRegularizedIncompleteBeta(1 - p, a: b, b: a)
        }
        let logNormalizer = logBeta(a, b)
        var low = 0.0
        var high = 1.0
        // Start from the normal approximation, clamped into the open interval.
        let mean = a / (a + b)
        let sd = (a * b / ((a + b) * (a + b) * (a + b + 1))).squareRoot()
        var x = min(max(mean + sd * Normal.standardQuantile(p), 1e-300), 1 - 1e-16)
        for _ in 0..<200 {
            let error = regularizedIncompleteBeta(x, a: a, b: b) - p
            if error < 0 { low = x } else { high = x }
            let density = exp((a - 1) * log(x) + (b - 1) * log1p(-x) - logNormalizer)
            var next = density > 0 && density.isFinite ? x - error / density : .nan
            if !(next > low && next < high) {
                next = low > 0 && high / low > 1e3 ? (low * high).squareRoot() : 0.5 * (low + high)
                if low == 0 { next = high / 16 }
            }
            if abs(next - x) <= 1e-15 * max(x, 1e-300) { return next }
            x = next
            if high - low <= 1e-16 * high { break }
        }
        return x
    }

    /// The regularized upper incomplete gamma function Q(s, x) = Γ(s, x) / Γ(s).
    static func regularizedUpperIncompleteGamma(_ s: Double, _ x: Double) -> Double {
        if x <= 0 { return 1 }
        let logFront = s * log(x) - x - lgamma(s)
        if x < s + 1 {
            // Series for the lower function P(s, x); Q = 1 − P.
            var term = 1 / s
            var sum = term
            var n = s
            for _ in 0..<10_000 {
                n += 1
                term *= x / n
                sum += term
                if abs(term) < abs(sum) * 1e-17 { break }
            }
            return max(0, 1 - sum * exp(logFront))
        }
        // Continued fraction for Q(s, x), modified Lentz.
        let tiny = 1e-300
        var b = x + 1 - s
        var c = 1 / tiny
        var d = 1 / b
        var h = d
        for i in 1...10_000 {
            let an = -Double(i) * (Double(i) - s)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return exp(logFront) * h
    }
}
