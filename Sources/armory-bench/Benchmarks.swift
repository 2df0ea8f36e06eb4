import ArmoryCore
import Foundation

func benchmarkAssignment() {
    let units = (0..<1_024).map { "user-\(100_000 + $0 * 7_919)" }
    let assigner = Assigner(seed: "homepage-rail", weights: [0.2, 0.3, 0.5], coverage: 0.9)
    // Warm up, then count allocations over a million calls: the target is none at all.
    var arms = 0
    let allocations = Measure.allocations {
        for index in 0..<1_000_000 {
            if case .arm(let arm) = assigner.assign(units[index & 1_023]) { arms &+= arm }
        }
    }
    let perCall = Measure.nanosecondsPerIteration(iterations: 2_000_000) { index in
        if case .arm(let arm) = assigner.assign(units[index & 1_023]) { arms &+= arm }
    }
    // Baseline: the standard library's own string hash (SipHash) over the same units.
    let baseline = Measure.nanosecondsPerIteration(iterations: 2_000_000) { index in
        arms &+= units[index & 1_023].hashValue & 1
    }
    sink += Double(arms)
    report("assignment (hash + range lookup)", String(format: "%.1f ns/call", perCall), target: "≤ 100 ns", verdict: perCall <= 100)
    report("  baseline: String.hashValue (SipHash)", String(format: "%.1f ns/call (ratio %.2f)", baseline, perCall / baseline))
    report("assignment allocations", "\(allocations) in 1,000,000 calls", target: "0", verdict: allocations == 0)
}

func benchmarkSampling() {
    let beta = Beta(alpha: 50, beta: 950)
    var generator = Xoshiro256StarStar(seed: 1)
    var total = 0.0
    let draws = 20_000_000
    let nanoseconds = Measure.nanosecondsPerIteration(iterations: draws, repeats: 5) { _ in
        total += beta.sample(using: &generator)
    }
    sink += total
    let rate = 1e9 / nanoseconds
    report("Beta(50, 950) draws, one thread", String(format: "%.1f M/s", rate / 1e6), target: "≥ 30 M/s", verdict: rate >= 30e6)

    let numpyScript = """
    import time, numpy as np
    g = np.random.default_rng(1); g.beta(50, 950, 10**6)
    best = min((lambda t: (g.beta(50, 950, 10**7), time.perf_counter() - t)[1])(time.perf_counter()) for _ in range(3))
    print(10**7 / best)
    """
    if let output = shell("python3 -c '\(numpyScript)'"), let numpyRate = Double(output.trimmingCharacters(in: .whitespacesAndNewlines)) {
        report("  baseline: numpy Generator.beta", String(format: "%.1f M/s (Armory/numpy %.2f)", numpyRate / 1e6, rate / numpyRate))
    } else {
        report("  baseline: numpy Generator.beta", "python3 with numpy not found")
    }
    var normals = 0.0
    let normalNanoseconds = Measure.nanosecondsPerIteration(iterations: draws, repeats: 3) { _ in normals += generator.nextNormal() }
    sink += normals
    report("  standard normal (ziggurat)", String(format: "%.1f M/s", 1e3 / normalNanoseconds))
}

func benchmarkProbabilityBest() {
    for (armCount, targetMilliseconds) in [(10, 1.0), (20, 5.0)] {
        var generator = Xoshiro256StarStar(seed: UInt64(armCount))
        let posteriors: [ArmPosterior] = (0..<armCount).map { _ in
            let trials = 1_000 + Int(generator.nextUniform() * 9_000)
            return .rate(successes: Int(Double(trials) * (0.04 + 0.015 * generator.nextUniform())), trials: trials)
        }
        var exact = BestArmAnalysis.exact(posteriors)
        let seconds = Measure.medianSeconds(repeats: 21) { exact = BestArmAnalysis.exact(posteriors) }
        var monteCarlo = BestArmAnalysis.monteCarlo(posteriors, draws: 1_000_000, seed: 42)
        let monteCarloSeconds = Measure.medianSeconds(repeats: 1) {
            monteCarlo = BestArmAnalysis.monteCarlo(posteriors, draws: 1_000_000, seed: 42)
        }
        // The standard error of a 10^6-draw estimate of p is √(p(1−p)/10^6), at least 1/10^6.
        // Each arm's gap is measured in its own standard errors: about 68% of arms should land
        // within one, and none should be far outside three.
        let gaps = exact.probabilityBest.indices.map { arm in
            let p = exact.probabilityBest[arm]
            return abs(p - monteCarlo.probabilityBest[arm]) / max((p * (1 - p) / 1e6).squareRoot(), 1e-6)
        }
        let worst = gaps.max()!
        let withinOne = gaps.count { $0 <= 1 }
        let sumError = abs(exact.probabilityBest.reduce(0, +) - 1)
        report("exact P(best), K = \(armCount)", String(format: "%.3f ms", seconds * 1e3),
               target: String(format: "≤ %.0f ms", targetMilliseconds), verdict: seconds * 1e3 <= targetMilliseconds)
        report("  vs 10^6-draw Monte Carlo", String(format: "%d/%d arms within 1 s.e., max %.2f", withinOne, armCount, worst),
               target: "every arm ≤ 3 s.e.", verdict: worst <= 3)
        report("  Monte Carlo, 10^6 draws, took", String(format: "%.0f ms", monteCarloSeconds * 1e3))
        report("  |Σ P(best) − 1|", String(format: "%.1e", sumError), target: "≤ 1e-6", verdict: sumError <= 1e-6)
        sink += exact.probabilityBest[0]
    }
}

func benchmarkSimulation() {
    let simulation = BanditSimulation(.init(trueRates: [0.04, 0.05, 0.06], decisions: 100_000, batchSize: 1_000, runs: 20))
    var runs: [BanditSimulation.Run] = []
    let seconds = Measure.medianSeconds(repeats: 3) { runs = simulation.runAll() }
    sink += runs[0].cumulativeRegret
    report("simulate 3 arms, 100k decisions, 20 runs", String(format: "%.2f s", seconds), target: "≤ 5 s", verdict: seconds <= 5)
}
