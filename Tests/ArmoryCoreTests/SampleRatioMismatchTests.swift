@testable import ArmoryCore
import Testing

@Suite("Sample-ratio mismatch")
struct SampleRatioMismatchTests {
    @Test("chi-square and p-value match scipy.stats.chisquare", arguments: Fixtures.statistics.srm.indices)
    func matchesSciPy(index: Int) throws {
        let reference = Fixtures.statistics.srm[index]
        let test = try #require(SampleRatioMismatch(observed: reference.observed, weights: reference.weights))
        #expect(abs(test.chiSquare - reference.chiSquare) < 1e-9 * max(1, reference.chiSquare))
        #expect(abs(test.pValue - reference.pValue) < 1e-12 + 1e-9 * reference.pValue, "p \(test.pValue) vs SciPy \(reference.pValue)")
        #expect(test.degreesOfFreedom == reference.observed.count - 1)
    }

    @Test("traffic to a zero-weight arm is a certain mismatch; no traffic is no test")
    func edgeCases() throws {
        let leak = try #require(SampleRatioMismatch(observed: [500, 500, 3], weights: [0.5, 0.5, 0]))
        #expect(leak.pValue == 0)
        #expect(SampleRatioMismatch(observed: [0, 0], weights: [0.5, 0.5]) == nil)
        #expect(SampleRatioMismatch(observed: [10, 0], weights: [1, 0]) == nil)
    }
}
