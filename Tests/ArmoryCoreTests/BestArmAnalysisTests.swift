@testable import ArmoryCore
import Foundation
import Testing

/// Exact P(best) and expected loss, against closed forms, SciPy quadrature and Monte Carlo.
@Suite("P(best) and expected loss")
struct BestArmAnalysisTests {
    /// Evan Miller's closed form for two Beta posteriors with integer α_B:
    /// P(p_B > p_A) = Σ_{i<α_B} B(α_A+i, β_A+β_B) / ((β_B+i) B(1+i, β_B) B(α_A, β_A)).
    static func closedFormBBeatsA(_ a: (Double, Double), _ b: (Double, Double)) -> Double {
        func logB(_ x: Double, _ y: Double) -> Double { lgamma(x) + lgamma(y) - lgamma(x + y) }
        var total = 0.0
        for i in 0..<Int(b.0) {
            let i = Double(i)
            total += exp(logB(a.0 + i, a.1 + b.1) - log(b.1 + i) - logB(1 + i, b.1) - logB(a.0, a.1))
        }
        return total
    }

    @Test("two Beta arms match the closed form to 1e-9", arguments: [
        (41.0, 961.0, 53.0, 949.0), (1, 1, 1, 1), (1, 1, 2, 1), (5, 95, 7, 93), (200, 9800, 230, 9770),
        (1, 1000, 3, 998), (50, 950, 50, 950), (3, 2, 30, 70),
    ])
    func twoBetaArms(alphaA: Double, betaA: Double, alphaB: Double, betaB: Double) {
        let analysis = BestArmAnalysis.exact([
            .beta(Beta(alpha: alphaA, beta: betaA)), .beta(Beta(alpha: alphaB, beta: betaB)),
        ])
        let expected = Self.closedFormBBeatsA((alphaA, betaA), (alphaB, betaB))
        #expect(abs(analysis.probabilityBest[1] - expected) < 1e-9, "exact \(analysis.probabilityBest[1]), closed form \(expected)")
        #expect(abs(analysis.probabilityBest[0] - (1 - expected)) < 1e-9)
    }

    /// Two normals, with s = √(σ₁² + σ₂²) and d = (μ₂ − μ₁)/s:
    /// P(X₂ > X₁) = Φ(d) and E[max(X₁, X₂)] = μ₂Φ(d) + μ₁Φ(−d) + s·φ(d).
    @Test("two normal arms match the closed forms to 1e-9", arguments: [
        (10.0, 1.0, 10.5, 0.8), (0, 1, 0, 1), (3, 0.01, 2.9, 2), (-1, 0.3, 1, 0.3),
    ])
    func twoNormalArms(mean1: Double, sd1: Double, mean2: Double, sd2: Double) {
        let analysis = BestArmAnalysis.exact([
            .normal(Normal(mean: mean1, standardDeviation: sd1)), .normal(Normal(mean: mean2, standardDeviation: sd2)),
        ])
        let s = (sd1 * sd1 + sd2 * sd2).squareRoot()
        let d = (mean2 - mean1) / s
        let phi = exp(-0.5 * d * d) / (2 * Double.pi).squareRoot()
        let expectedMaximum = mean2 * Normal.standardCDF(d) + mean1 * Normal.standardCDF(-d) + s * phi
        #expect(abs(analysis.probabilityBest[1] - Normal.standardCDF(d)) < 1e-9)
        #expect(abs(analysis.expectedLoss[0] - (expectedMaximum - mean1)) < 1e-9)
        #expect(abs(analysis.expectedLoss[1] - (expectedMaximum - mean2)) < 1e-9)
    }

    @Test("K Beta arms match SciPy quadrature to 1e-8", arguments: Fixtures.statistics.probabilityBestBeta.indices)
    func betaArmsMatchSciPy(index: Int) {
        let reference = Fixtures.statistics.probabilityBestBeta[index]
        let analysis = BestArmAnalysis.exact(reference.shapes.map { .beta(Beta(alpha: $0[0], beta: $0[1])) })
        for arm in reference.shapes.indices {
            #expect(abs(analysis.probabilityBest[arm] - reference.probabilityBest[arm]) < 1e-8,
                    "arm \(arm): \(analysis.probabilityBest[arm]) vs SciPy \(reference.probabilityBest[arm])")
            #expect(abs(analysis.expectedLoss[arm] - reference.expectedLoss[arm]) < 1e-8,
                    "arm \(arm) loss: \(analysis.expectedLoss[arm]) vs SciPy \(reference.expectedLoss[arm])")
        }
    }

    @Test("K normal arms match SciPy quadrature to 1e-8", arguments: Fixtures.statistics.probabilityBestNormal.indices)
    func normalArmsMatchSciPy(index: Int) {
        let reference = Fixtures.statistics.probabilityBestNormal[index]
        let analysis = BestArmAnalysis.exact(reference.parameters.map { .normal(Normal(mean: $0[0], standardDeviation: $0[1])) })
        for arm in reference.parameters.indices {
            #expect(abs(analysis.probabilityBest[arm] - reference.probabilityBest[arm]) < 1e-8)
            #expect(abs(analysis.expectedLoss[arm] - reference.expectedLoss[arm]) < 1e-8)
        }
    }

    /// 10^6 seeded draws: each exact value within 4 Monte Carlo standard errors (+1e-12).
    @Test("exact agrees with Monte Carlo within its standard error", arguments: [10, 20])
    func agreesWithMonteCarlo(armCount: Int) {
        var generator = Xoshiro256StarStar(seed: UInt64(armCount))
        let posteriors: [ArmPosterior] = (0..<armCount).map { _ in
            let trials = 500 + Int(generator.nextUniform() * 5_000)
            let rate = 0.04 + 0.01 * generator.nextUniform()
            return .rate(successes: Int(Double(trials) * rate), trials: trials)
        }
        let exact = BestArmAnalysis.exact(posteriors)
        let estimate = BestArmAnalysis.monteCarlo(posteriors, draws: 1_000_000, seed: 7)
        for arm in 0..<armCount {
            #expect(abs(exact.probabilityBest[arm] - estimate.probabilityBest[arm]) <= 4 * estimate.standardErrors[arm] + 1e-12,
                    "arm \(arm): exact \(exact.probabilityBest[arm]), MC \(estimate.probabilityBest[arm]) ± \(estimate.standardErrors[arm])")
        }
        #expect(abs(exact.probabilityBest.reduce(0, +) - 1) < 1e-9)
    }

    @Test("probabilities sum to 1 and identical arms share equally")
    func invariants() {
        let identical = BestArmAnalysis.exact(Array(repeating: .rate(successes: 30, trials: 1_000), count: 5))
        for value in identical.probabilityBest { #expect(abs(value - 0.2) < 1e-9) }
        let skewed = BestArmAnalysis.exact([.rate(successes: 0, trials: 10_000, prior: BetaPrior(alpha: 0.5, beta: 0.5)),
                                            .rate(successes: 1, trials: 10_000, prior: BetaPrior(alpha: 0.5, beta: 0.5)),
                                            .rate(successes: 0, trials: 50, prior: BetaPrior(alpha: 0.5, beta: 0.5))])
        #expect(abs(skewed.probabilityBest.reduce(0, +) - 1) < 1e-8)
        #expect(BestArmAnalysis.exact([.rate(successes: 1, trials: 2)]).probabilityBest == [1])
    }

    @Test("95% intervals: Beta from the quantile function, normal as mean ± 1.96 sd")
    func credibleIntervals() {
        let interval = ArmPosterior.rate(successes: 40, trials: 1_000).credibleInterval()
        // SciPy: beta.ppf([0.025, 0.975], 41, 961)
        #expect(abs(interval.lowerBound - 0.029550461) < 1e-8)
        #expect(abs(interval.upperBound - 0.054019078) < 1e-8)
        let normal = ArmPosterior.normal(Normal(mean: 10, standardDeviation: 2)).credibleInterval()
        #expect(abs(normal.lowerBound - (10 - 2 * 1.959963984540054)) < 1e-12)
    }

    @Test("engagement posterior is N(x̄, s²/n) and needs two observations")
    func engagementPosterior() {
        // Values 1, 2, 3, 4: mean 2.5, sample variance 5/3, standard error √(5/12).
        let summary = EngagementSummary(count: 4, sum: 10, sumOfSquares: 30)
        guard case .normal(let normal)? = summary.posterior else {
            Issue.record("expected a normal posterior")
            return
        }
        #expect(abs(normal.mean - 2.5) < 1e-12)
        #expect(abs(normal.standardDeviation - (5.0 / 12).squareRoot()) < 1e-12)
        #expect(EngagementSummary(count: 1, sum: 3, sumOfSquares: 9).posterior == nil)
    }
}
