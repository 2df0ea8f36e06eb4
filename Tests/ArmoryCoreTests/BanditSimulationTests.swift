@testable import ArmoryCore
import Testing

@Suite("Offline bandit simulation")
struct BanditSimulationTests {
    /// Seeds 1…5. Thompson must lose fewer clicks than an even split (whose expected regret is
    /// exactly 100,000 · (0.06 − 0.05) = 1,000) and end with most traffic on the best arm.
    @Test("Thompson beats a fixed split and finds the best arm")
    func thompsonBeatsFixed() {
        let base = BanditSimulation.Configuration(trueRates: [0.04, 0.05, 0.06], decisions: 100_000, batchSize: 1_000, runs: 5)
        var fixed = base
        fixed.policy = .fixed
        let thompsonRuns = BanditSimulation(base).runAll()
        let fixedRuns = BanditSimulation(fixed).runAll()
        let thompsonRegret = thompsonRuns.map(\.cumulativeRegret).reduce(0, +) / 5
        let fixedRegret = fixedRuns.map(\.cumulativeRegret).reduce(0, +) / 5
        #expect(abs(fixedRegret - 1_000) < 60, "an even split loses 1000 clicks in expectation; got \(fixedRegret)")
        #expect(thompsonRegret < 0.5 * fixedRegret)
        for run in thompsonRuns {
            #expect(run.finalWeights[2] > 0.8)
            #expect(run.decisionsToConfidence != nil)
        }
        #expect(fixedRuns.allSatisfy { $0.finalWeights == [1.0 / 3, 1.0 / 3, 1.0 / 3] })
    }

    @Test("runs are reproducible from their seed")
    func reproducible() {
        let simulation = BanditSimulation(.init(trueRates: [0.1, 0.12], decisions: 5_000, batchSize: 500, runs: 1))
        #expect(simulation.run(seed: 9) == simulation.run(seed: 9))
        #expect(simulation.run(seed: 9) != simulation.run(seed: 10))
    }
}
