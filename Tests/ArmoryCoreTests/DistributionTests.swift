import ArmoryKit
@testable import ArmoryCore
import Foundation
import Testing

/// Sampling checked against exact CDFs (Kolmogorov–Smirnov) and exact moments, with fixed seeds.
///
/// Each test draws n = 200,000 values. The KS statistic must stay under 1.949/√n (the 0.1%
/// critical value); the sample mean within 5 standard errors of the exact mean; the sample
/// variance within 4% of the exact variance (≥ 5 standard errors of s² for these shapes).
@Suite("Distributions: samplers match their exact distributions")
struct DistributionTests {
    static let drawCount = 200_000

    @Test("xoshiro256** matches the reference sequence for a SplitMix64-expanded seed")
    func generatorIsDeterministic() {
        var first = Xoshiro256StarStar(seed: 42)
        var second = Xoshiro256StarStar(seed: 42)
        var other = Xoshiro256StarStar(seed: 43)
        let a = (0..<5).map { _ in first.next() }
        #expect(a == (0..<5).map { _ in second.next() })
        #expect(a != (0..<5).map { _ in other.next() })
        // SplitMix64's published first outputs for seed 0 (Vigna's splitmix64.c).
        var splitMix = SplitMix64(seed: 0)
        #expect(splitMix.next() == 0xE220_A839_7B1D_CDAF)
        #expect(splitMix.next() == 0x6E78_9E6A_A1B9_65F4)
    }

    @Test("uniform draws lie in [0, 1) and pass KS against U(0, 1)")
    func uniform() {
        var generator = Xoshiro256StarStar(seed: 1)
        let draws = (0..<Self.drawCount).map { _ in generator.nextUniform() }
        #expect(draws.allSatisfy { $0 >= 0 && $0 < 1 })
        expectFits(draws, cdf: { $0 }, mean: 0.5, variance: 1.0 / 12)
    }

    @Test("standard normal (ziggurat) passes KS and moments, tails included")
    func normal() {
        var generator = Xoshiro256StarStar(seed: 2)
        let draws = (0..<Self.drawCount).map { _ in generator.nextNormal() }
        expectFits(draws, cdf: Normal.standardCDF, mean: 0, variance: 1)
        // Beyond the ziggurat's tail start (3.654) the share is 2·Φ(−3.654) ≈ 2.58e-4.
        let tail = Double(draws.filter { abs($0) > Ziggurat.tailStart }.count) / Double(Self.drawCount)
        let expected = 2 * Normal.standardCDF(-Ziggurat.tailStart)
        #expect(abs(tail - expected) < 5 * (expected / Double(Self.drawCount)).squareRoot())
    }

    @Test("gamma (Marsaglia–Tsang) passes KS and moments", arguments: [0.3, 1.0, 2.5, 50.0, 950.0])
    func gamma(shape: Double) {
        var generator = Xoshiro256StarStar(seed: 3)
        let gamma = Gamma(shape: shape)
        let draws = (0..<Self.drawCount).map { _ in gamma.sample(using: &generator) }
        expectFits(draws, cdf: { 1 - SpecialFunctions.regularizedUpperIncompleteGamma(shape, $0) }, mean: shape, variance: shape)
    }

    @Test("beta passes KS and moments", arguments: [(50.0, 950.0), (1.0, 1.0), (0.5, 0.5), (2.0, 8.0), (0.2, 40.0)])
    func beta(alpha: Double, beta: Double) {
        var generator = Xoshiro256StarStar(seed: 4)
        let distribution = Beta(alpha: alpha, beta: beta)
        let draws = (0..<Self.drawCount).map { _ in distribution.sample(using: &generator) }
        #expect(draws.allSatisfy { $0 >= 0 && $0 <= 1 })
        expectFits(draws, cdf: distribution.cumulativeProbability, mean: distribution.mean, variance: distribution.variance)
    }

    @Test("the KS check rejects a wrong distribution (it can fail)")
    func ksDetectsMismatch() {
        var generator = Xoshiro256StarStar(seed: 5)
        let draws = (0..<Self.drawCount).map { _ in Beta(alpha: 50, beta: 950).sample(using: &generator) }
        let wrong = Beta(alpha: 51, beta: 950)
        #expect(kolmogorovSmirnov(draws, cdf: wrong.cumulativeProbability) > 1.949 / Double(Self.drawCount).squareRoot())
    }

    private func expectFits(_ draws: [Double], cdf: (Double) -> Double, mean: Double, variance: Double,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        let n = Double(draws.count)
        let statistic = kolmogorovSmirnov(draws, cdf: cdf)
        #expect(statistic < 1.949 / n.squareRoot(), "KS D = \(statistic)", sourceLocation: sourceLocation)
        let sampleMean = draws.reduce(0, +) / n
        let sampleVariance = draws.reduce(0) { $0 + ($1 - sampleMean) * ($1 - sampleMean) } / (n - 1)
        #expect(abs(sampleMean - mean) < 5 * (variance / n).squareRoot(), "mean \(sampleMean) vs \(mean)",
                sourceLocation: sourceLocation)
        #expect(abs(sampleVariance - variance) < 0.04 * variance, "variance \(sampleVariance) vs \(variance)",
                sourceLocation: sourceLocation)
    }

    private func kolmogorovSmirnov(_ draws: [Double], cdf: (Double) -> Double) -> Double {
        let sorted = draws.sorted()
        let n = Double(sorted.count)
        var statistic = 0.0
        for (index, value) in sorted.enumerated() {
            let f = cdf(value)
            statistic = max(statistic, Double(index + 1) / n - f, f - Double(index) / n)
        }
        return statistic
    }
}
