@testable import ArmoryCore
import Foundation
import Testing

/// Special functions against SciPy (Fixtures/make-statistics-references.py).
@Suite("Special functions match SciPy")
struct SpecialFunctionTests {
    @Test("regularized incomplete beta I_x(a, b), to 1e-12", arguments: Fixtures.statistics.incompleteBeta.indices)
    func incompleteBeta(index: Int) {
        let reference = Fixtures.statistics.incompleteBeta[index]
        let value = SpecialFunctions.regularizedIncompleteBeta(reference.x, a: reference.a, b: reference.b)
        #expect(abs(value - reference.value) < 1e-12, "I_\(reference.x)(\(reference.a), \(reference.b)) = \(value), SciPy \(reference.value)")
    }

    @Test("beta quantile, to 1e-10 relative", arguments: Fixtures.statistics.betaQuantile.indices)
    func betaQuantile(index: Int) {
        let reference = Fixtures.statistics.betaQuantile[index]
        let value = Beta(alpha: reference.a, beta: reference.b).quantile(reference.p)
        #expect(abs(value - reference.value) <= 1e-10 * reference.value, "q(\(reference.p)) = \(value), SciPy \(reference.value)")
    }

    @Test("upper regularized incomplete gamma Q(s, x), to 1e-12", arguments: Fixtures.statistics.upperIncompleteGamma.indices)
    func upperGamma(index: Int) {
        let reference = Fixtures.statistics.upperIncompleteGamma[index]
        let value = SpecialFunctions.regularizedUpperIncompleteGamma(reference.s, reference.x)
        #expect(abs(value - reference.value) < 1e-12, "Q(\(reference.s), \(reference.x)) = \(value), SciPy \(reference.value)")
    }

    @Test("standard normal quantile, to 1e-12", arguments: Fixtures.statistics.normalQuantile.indices)
    func normalQuantile(index: Int) {
        let reference = Fixtures.statistics.normalQuantile[index]
        let value = Normal.standardQuantile(reference.p)
        #expect(abs(value - reference.value) < 1e-12 * max(1, abs(reference.value)))
    }

    /// A closed form: I_x(1, b) = 1 − (1 − x)^b, and I_x(a, 1) = x^a.
    @Test("incomplete beta closed forms")
    func incompleteBetaClosedForms() {
        for x in stride(from: 0.01, to: 1, by: 0.07) {
            for shape in [0.5, 1, 3, 40] {
                #expect(abs(SpecialFunctions.regularizedIncompleteBeta(x, a: 1, b: shape) - (1 - pow1m(x, shape))) < 1e-13)
                #expect(abs(SpecialFunctions.regularizedIncompleteBeta(x, a: shape, b: 1) - pow(x, shape)) < 1e-13)
            }
        }
    }

    /// Quantile and CDF invert each other across the range, far tails included. Tolerance: 1e-9
    /// of the smaller tail probability, plus what rounding x to a double can move F by
    /// (density × one ulp of x).
    @Test("quantile inverts the CDF", arguments: [(0.5, 0.5), (1.0, 1.0), (50.0, 950.0), (2.0, 30_000.0), (0.7, 3.0)])
    func quantileInvertsCDF(a: Double, b: Double) {
        let beta = Beta(alpha: a, beta: b)
        for p in [1e-14, 1e-6, 0.01, 0.25, 0.5, 0.9, 0.999, 1 - 1e-9] {
            let x = beta.quantile(p)
            let tolerance = 1e-9 * min(p, 1 - p) + 2 * beta.density(at: x) * x.ulp
            #expect(abs(beta.cumulativeProbability(at: x) - p) <= tolerance,
                    "Beta(\(a), \(b)): F(q(\(p))) = \(beta.cumulativeProbability(at: x))")
        }
    }

    private func pow1m(_ x: Double, _ exponent: Double) -> Double {
        exp(exponent * log1p(-x))
    }
}
