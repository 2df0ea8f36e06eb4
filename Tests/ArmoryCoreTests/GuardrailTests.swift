@testable import ArmoryCore
import Foundation
import Testing

/// The guardrails' statistics: the confidence sequence against the published formula evaluated
/// in Python and against its own promise (time-uniform coverage, by simulation), the check's
/// verdicts, and the periods behind the moving-weights sample-ratio check and period weighting.
@Suite("Guardrails, sample ratio with moving weights, period weighting")
struct GuardrailTests {
    static func totals(_ arm: String, trials: Int, converted: Int = 0, errors: Int = 0, version: Int = 1) -> ArmAggregate {
        ArmAggregate(experiment: "guarded", arm: arm, trials: trials, clicked: 0, converted: converted, engagementSum: 0,
                     engagementSumOfSquares: 0, errors: errors, weightVersion: version)
    }

    static func experiment(_ guardrails: [Guardrail], arms: [String] = ["control", "treatment"], alpha: Double = 0.05) -> Experiment {
        Experiment(id: "guarded", objective: .ctr, fallback: arms[0], arms: arms.map { Arm(name: $0, algorithm: "x", weight: 1 / Double(arms.count)) },
                   guardrails: guardrails, safety: SafetySettings(alpha: alpha))
    }

    static func version(_ number: Int, _ weights: [Double], arms: [String] = ["control", "treatment"], dropped: [String] = []) -> WeightVersion {
        WeightVersion(experimentID: "guarded", version: number, configVersion: 1, arms: arms, weights: weights, droppedArms: dropped,
                      reason: number == 1 ? .initial : .scheduled, actor: "test", createdAt: Date(timeIntervalSince1970: Double(number)))
    }

    /// Waudby-Smith et al. eq. 9 with ρ from eq. 161, evaluated with Python's `math` (GrowthBook's
    /// `sequential_interval_halfwidth` with s² = V·N); tolerance 1e-12 relative.
    @Test("half-widths equal the published formula", arguments: [
        (0.0025, 200, 0.05, 0.3347194308533021), (1e-5, 20_000, 0.05, 0.00968124101633885),
        (4e-6, 100_000, 0.01, 0.007506778408704913), (0.01, 50, 0.0125, 1.298154658193586),
    ])
    func halfWidth(variance: Double, sampleSize: Int, alpha: Double, expected: Double) {
        let got = ConfidenceSequence(alpha: alpha).halfWidth(variance: variance, sampleSize: sampleSize)
        #expect(abs(got - expected) <= 1e-12 * expected, "\(got) vs \(expected)")
    }

    /// Its promise: under no difference, 2,000 seeded pairs of Bernoulli(0.1) streams looked at
    /// 50 times each (every 400 decisions per arm) cross the interval at some look in at most
    /// α = 0.05 of the streams (plus 3 binomial standard errors, 0.015). A fixed-sample 95%
    /// interval looked at this often crosses in about a quarter of them, which the second
    /// figure shows the test could tell apart.
    @Test("looked at 50 times, the interval excludes a true difference of 0 in at most alpha of the streams")
    func timeUniformCoverage() {
        let sequence = ConfidenceSequence(alpha: 0.05)
        var generator = Xoshiro256StarStar(seed: 42)
        var crossed = 0
        var naiveCrossed = 0
        for _ in 0..<2_000 {
            var successes = (0, 0)
            var hasCrossed = false
            var hasNaiveCrossed = false
            for look in 1...50 {
                for _ in 0..<400 {
                    if generator.nextUniform() < 0.1 { successes.0 += 1 }
                    if generator.nextUniform() < 0.1 { successes.1 += 1 }
                }
                let n = look * 400
                let a = MetricSample(Self.totals("a", trials: n, converted: successes.0), metric: .conversion)!
                let b = MetricSample(Self.totals("b", trials: n, converted: successes.1), metric: .conversion)!
                let variance = a.varianceOfMean + b.varianceOfMean
                let change = abs(a.mean - b.mean)
                if change > sequence.halfWidth(variance: variance, sampleSize: 2 * n) { hasCrossed = true }
                if change > 1.959964 * variance.squareRoot() { hasNaiveCrossed = true }
            }
            if hasCrossed { crossed += 1 }
            if hasNaiveCrossed { naiveCrossed += 1 }
        }
        #expect(Double(crossed) / 2_000 <= 0.065, "\(crossed) of 2000 streams crossed")
        #expect(Double(naiveCrossed) / 2_000 > 0.15, "a fixed-sample interval looked at 50 times crosses far more often: \(naiveCrossed)")
    }

    @Test("a guardrail waits for its minimum, passes an equal arm, and breaches a clearly worse one")
    func verdicts() throws {
        let guardrail = Guardrail(metric: .errorRate, tolerance: .absolute(0.05), action: .dropArm, minTrials: 50)
        let experiment = Self.experiment([guardrail])
        let check = GuardrailCheck(experiment: experiment)
        #expect(check.alpha == 0.05)
        func result(_ control: ArmAggregate, _ treatment: ArmAggregate) throws -> GuardrailResult {
            let periods = WeightPeriods(experiment: experiment, aggregates: [control, treatment], versions: [Self.version(1, [0.5, 0.5])])
            let results = check.results(periods)
            #expect(results.count == 1, "the reference is not checked against itself")
            return try #require(results.first)
        }
        let early = try result(Self.totals("control", trials: 100), Self.totals("treatment", trials: 49, errors: 40))
        #expect(early.state == .waiting && early.note == "arm 'treatment' has 49 of the 50 decisions needed")
        #expect(try result(Self.totals("control", trials: 100, errors: 2), Self.totals("treatment", trials: 100, errors: 3)).state == .ok)
        // 50% errors against none: the interval [0.5 − 0.335, 0.5 + 0.335] lies above 0.05.
        let breach = try result(Self.totals("control", trials: 100), Self.totals("treatment", trials: 100, errors: 50))
        #expect(breach.state == .breached && breach.reference == "control" && breach.arm == "treatment")
        let evidence = try #require(breach.evidence)
        #expect(evidence.change == 0.5 && evidence.threshold == 0.05 && evidence.armTrials == 100 && !evidence.isRelative)
        #expect(evidence.intervalLow > 0.05 && abs((evidence.intervalHigh - evidence.intervalLow) / 2 - 0.3365) < 0.01)
    }

    @Test("relative tolerance, higher-is-better direction, and alpha split over guardrails and arms")
    func relativeAndBonferroni() throws {
        let guardrails = [Guardrail(metric: .conversion, tolerance: .relative(0.1)), Guardrail(metric: .errorRate)]
        let experiment = Self.experiment(guardrails, arms: ["control", "b", "c"])
        let check = GuardrailCheck(experiment: experiment)
        #expect(abs(check.alpha - 0.05 / 4) < 1e-15, "2 guardrails × 2 arms compared")
        let rows = [Self.totals("control", trials: 20_000, converted: 2_000), Self.totals("b", trials: 20_000, converted: 1_600),
                    Self.totals("c", trials: 20_000, converted: 1_950)]
        let periods = WeightPeriods(experiment: experiment, aggregates: rows, versions: [Self.version(1, [1, 1, 1].map { $0 / 3 }, arms: ["control", "b", "c"])])
        let conversion = check.results(periods).filter { $0.metric == .conversion }
        let b = try #require(conversion.first { $0.arm == "b" })
        let c = try #require(conversion.first { $0.arm == "c" })
        // b converts 20% less (beyond the 10% tolerated); c 2.5% less (within it).
        #expect(b.state == .breached && abs(b.evidence!.change + 0.2) < 1e-12 && b.evidence!.threshold == -0.1)
        #expect(c.state == .ok)
    }

    @Test("a dropped arm is not checked; a restored one counts only decisions from its restore")
    func droppedAndRestored() throws {
        let guardrail = Guardrail(metric: .errorRate, tolerance: .absolute(0), minTrials: 50)
        let experiment = Self.experiment([guardrail])
        let versions = [Self.version(1, [0.5, 0.5]), Self.version(2, [1, 0], dropped: ["treatment"]), Self.version(3, [0.5, 0.5])]
        #expect(GuardrailCheck.restoredSince(versions) == ["treatment": 3])
        let rows = [Self.totals("control", trials: 200, version: 1), Self.totals("treatment", trials: 200, errors: 150, version: 1),
                    Self.totals("control", trials: 60, version: 3), Self.totals("treatment", trials: 60, version: 3)]
        let periods = WeightPeriods(experiment: experiment, aggregates: rows, versions: versions)
        let check = GuardrailCheck(experiment: experiment)
        #expect(check.results(periods, dropped: ["treatment"]).first?.state == .dropped)
        let restored = try #require(check.results(periods, since: GuardrailCheck.restoredSince(versions)).first)
        #expect(restored.state == .ok && restored.evidence?.armTrials == 60, "the errors before the drop no longer count")
        #expect(check.results(periods).first?.state == .breached, "without the restore, all of them count")
    }

    static func units(_ arm: String, _ count: Int, version: Int) -> FirstAssignment {
        FirstAssignment(experiment: "guarded", arm: arm, weightVersion: version, units: count)
    }

    /// Expected counts worked by hand; p-values from `scipy.stats.chi2.sf` (tolerance 1e-9).
    @Test("the sample-ratio check counts each user once and expects each weight version's share of its new users")
    func movingWeightsSampleRatio() throws {
        let experiment = Self.experiment([])
        let versions = [Self.version(1, [0.5, 0.5]), Self.version(2, [0.2, 0.8])]
        // Decisions are no part of it: a user with a thousand decisions is one user.
        let decisions = [Self.totals("control", trials: 90_000, version: 1), Self.totals("treatment", trials: 10, version: 1)]
        let assignments = [Self.units("control", 530, version: 1), Self.units("treatment", 470, version: 1),
                           Self.units("control", 380, version: 2), Self.units("treatment", 1_620, version: 2)]
        let periods = WeightPeriods(experiment: experiment, aggregates: decisions, versions: versions, assignments: assignments)
        #expect(periods.expectedUnits == [900, 2_100] && periods.observedUnits == [910, 2_090])
        let check = try #require(periods.sampleRatioMismatch)
        #expect(abs(check.pValue - 0.6903283294641935) < 1e-9 && check.degreesOfFreedom == 1)
        // The same counts against the weights in force alone (0.2/0.8) would be a glaring mismatch.
        #expect(try #require(SampleRatioMismatch(observed: [910, 2_090], weights: [0.2, 0.8])).pValue < 1e-40)
        let state = SampleRatioState(periods: periods, settings: SafetySettings(onMismatch: .pause))
        #expect(state.state == .ok && state.action == .pause && state.periods == 2)

        let three = Self.experiment([], arms: ["a", "b", "c"])
        let threeUnits = [("a", 310, 1), ("b", 300, 1), ("c", 290, 1), ("a", 90, 2), ("b", 330, 2), ("c", 580, 2)]
            .map { FirstAssignment(experiment: "guarded", arm: $0.0, weightVersion: $0.2, units: $0.1) }
        let threePeriods = WeightPeriods(experiment: three, aggregates: [], versions: [
            Self.version(1, [1, 1, 1].map { $0 / 3 }, arms: ["a", "b", "c"]), Self.version(2, [0.1, 0.3, 0.6], arms: ["a", "b", "c"]),
        ], assignments: threeUnits)
        #expect(abs(try #require(threePeriods.sampleRatioMismatch).pValue - 0.2865047968601901) < 1e-9)
        // Users in an arm a version gave no weight are a mismatch at once.
        let leaked = WeightPeriods(experiment: experiment, aggregates: [], versions: [Self.version(1, [1, 0])],
                                   assignments: [Self.units("control", 10, version: 1), Self.units("treatment", 1, version: 1)])
        #expect(leaked.sampleRatioMismatch?.pValue == 0)
        #expect(SampleRatioState(periods: leaked, settings: SafetySettings()).state == .mismatch)
        // Too few users to test: waiting, whatever the split.
        let few = WeightPeriods(experiment: experiment, aggregates: [], versions: versions,
                                assignments: [Self.units("control", 4, version: 1), Self.units("treatment", 1, version: 1)])
        #expect(SampleRatioState(periods: few, settings: SafetySettings()).state == .waiting)
    }

    /// Worked in Python: each period counts by its share of all decisions (200 and 400).
    @Test("period-weighted means and the Beta matched to them")
    func periodWeighting() throws {
        var experiment = Self.experiment([])
        experiment.objective = .conversion
        let rows = [Self.totals("control", trials: 100, converted: 10, version: 1), Self.totals("treatment", trials: 100, converted: 20, version: 1),
                    Self.totals("control", trials: 300, converted: 60, version: 2), Self.totals("treatment", trials: 100, converted: 10, version: 2)]
        let periods = WeightPeriods(experiment: experiment, aggregates: rows, versions: [Self.version(1, [0.5, 0.5]), Self.version(2, [0.75, 0.25])])
        let means = periods.weightedMeans(of: .conversion)
        let control = try #require(means[0])
        let treatment = try #require(means[1])
        #expect(abs(control.mean - 0.16666666666666666) < 1e-12 && abs(control.variance - 0.00034142442570247203) < 1e-15)
        #expect(abs(treatment.mean - 0.13333333333333333) < 1e-12 && abs(treatment.variance - 0.0005937598710366085) < 1e-15)
        // Pooled, treatment (30/200 = 0.15) trails control (70/400 = 0.175) by less.
        let posterior = try #require(periods.posteriors(prior: .uniform)[0])
        #expect(abs(posterior.mean - control.mean) < 0.005, "the matched Beta keeps the mean (up to the prior's pull)")
        #expect(abs(posterior.standardDeviation - control.variance.squareRoot()) < 0.001)

        // An arm with no success yet keeps the weight of its 1,000 decisions: its posterior is
        // Beta(1, 1 + 1000) (mean 0.001), not the prior's 0.5, which would win it the traffic.
        let none = [Self.totals("control", trials: 1_000, converted: 0, version: 1), Self.totals("treatment", trials: 1_000, converted: 50, version: 1)]
        let nonePeriods = WeightPeriods(experiment: experiment, aggregates: none, versions: [Self.version(1, [0.5, 0.5])])
        let zero = try #require(nonePeriods.posteriors(prior: .uniform)[0])
        #expect(zero.mean < 0.002 && zero.mean > 0, "\(zero.mean)")
        let pooled = try #require(ArmObservation(arm: "control", trials: 1_000, successes: 0).posterior(for: .conversion, prior: .uniform))
        #expect(abs(zero.mean - pooled.mean) < 1e-6, "one period: the same as pooled")
    }

    @Test("a guardrail never acts on a metric that has not varied, nor on a too-small alpha")
    func degenerateInputs() throws {
        var guardrail = Guardrail(metric: .engagement, tolerance: .relative(0.1), action: .dropArm, minTrials: 30)
        let experiment = Self.experiment([guardrail])
        // The arm's engagement is all zeros; the reference has one value: no spread to test with.
        let rows = [ArmAggregate(experiment: "guarded", arm: "control", trials: 100, clicked: 0, converted: 0, engagementSum: 5,
                                 engagementSumOfSquares: 25, weightVersion: 1),
                    ArmAggregate(experiment: "guarded", arm: "treatment", trials: 100, clicked: 0, converted: 0, engagementSum: 0,
                                 engagementSumOfSquares: 0, weightVersion: 1)]
        let periods = WeightPeriods(experiment: experiment, aggregates: rows, versions: [Self.version(1, [0.5, 0.5])])
        let result = try #require(GuardrailCheck(experiment: experiment).results(periods).first)
        #expect(result.state == .ok || result.state == .waiting)
        #expect(result.state != .breached)
        guardrail.tolerance = .absolute(0)
        var tiny = Self.experiment([guardrail], arms: ["a", "b", "c"], alpha: 5e-324)
        tiny.safety.alpha = 5e-324
        #expect(GuardrailCheck(experiment: tiny).alpha > 0, "clamped: the test's precondition holds")
    }

    @Test("Thompson keeps a dropped arm at weight 0 and splits the rest by P(best)")
    func thompsonRespectsDrops() throws {
        let policy = ThompsonPolicy(settings: BanditSettings(minTrialsPerArm: 10, minDuration: .seconds(0), minWeight: 0.05), objective: .ctr)
        let arms = ["a", "b", "c"]
        let previous = Self.version(2, [0.5, 0, 0.5], arms: arms, dropped: ["b"])
        let observations = [ArmObservation(arm: "a", trials: 500, successes: 50), ArmObservation(arm: "b", trials: 100, successes: 90),
                            ArmObservation(arm: "c", trials: 500, successes: 40)]
        guard case .updated(let next) = policy.update(after: previous, observations: observations, startedAt: .distantPast, now: Date()) else {
            Issue.record("expected an update")
            return
        }
        #expect(next.weights[1] == 0 && next.probabilityBest[1] == 0 && next.droppedArms == ["b"])
        #expect(abs(next.weights.reduce(0, +) - 1) < 1e-12 && next.weights[0] > next.weights[2])
        let alone = Self.version(3, [1, 0, 0], arms: arms, dropped: ["b", "c"])
        guard case .unchanged = policy.update(after: alone, observations: observations, startedAt: .distantPast, now: Date()) else {
            Issue.record("one arm left: nothing to move")
            return
        }
    }
}
