import Foundation

/// What one guardrail found for one arm.
public struct GuardrailResult: Sendable, Hashable, Codable {
    /// Where the arm stands.
    public enum State: String, Sendable, Hashable, Codable {
        /// Too few decisions to act on yet.
        case waiting
        /// No evidence of harm beyond the tolerance.
        case ok
        /// Harm beyond the tolerance, with the confidence the experiment's `safety.alpha` asks.
        case breached
        /// A guardrail dropped the arm earlier; it is not checked until a person restores it.
        case dropped
    }

    /// The guardrail's position in the file's list, counted from 1.
    public var guardrail: Int
    /// Its metric.
    public var metric: Guardrail.Metric
    /// What a breach does.
    public var action: Guardrail.Action
    /// The arm checked.
    public var arm: String
    /// The arm it is compared with.
    public var reference: String
    /// Where it stands.
    public var state: State
    /// Why, for people.
    public var note: String
    /// The test's figures, once there are enough decisions.
    public var evidence: GuardrailEvidence?
}

/// The figures behind a guardrail's verdict, recorded in the audit entry of any action.
public struct GuardrailEvidence: Sendable, Hashable, Codable {
    /// The arm's decisions counted.
    public var armTrials: Int
    /// The reference's decisions counted.
    public var referenceTrials: Int
    /// The arm's mean of the metric.
    public var armMean: Double
    /// The reference's mean.
    public var referenceMean: Double
    /// Whether the change is relative (arm / reference − 1) or absolute (arm − reference).
    public var isRelative: Bool
    /// The estimated change.
    public var change: Double
    /// The always-valid interval's lower end.
    public var intervalLow: Double
    /// Its upper end.
    public var intervalHigh: Double
    /// The change beyond which the guardrail acts: −tolerance for a metric where higher is
    /// better, +tolerance where lower is.
    public var threshold: Double
    /// The test's level: `safety.alpha` split over guardrails and arms.
    public var alpha: Double
}

/// Checks every guardrail of an experiment for every arm but its reference with an always-valid
/// one-sided test (``ConfidenceSequence``): an arm breaches when the whole interval for its
/// change lies beyond the tolerance on the harmful side. Bonferroni over all the tests an
/// experiment makes keeps the chance of any false action within `safety.alpha`.
public struct GuardrailCheck: Sendable {
    /// The experiment.
    public let experiment: Experiment
    /// Each test's level.
    public let alpha: Double
    private let sequence: ConfidenceSequence

    /// A check of `experiment`'s guardrails.
    public init(experiment: Experiment) {
        self.experiment = experiment
        let tests = Double(max(experiment.guardrails.count * (experiment.arms.count - 1), 1))
        // The file's alpha is at least 1e-6 and there are at most 20 × 99 tests; the clamp keeps
        // an experiment built in code (the simulator's, a test's) from reaching 0.
        alpha = min(max(experiment.safety.alpha / tests, 1e-12), 0.5)
        sequence = ConfidenceSequence(alpha: alpha)
    }

    /// Every guardrail's result for every arm, from `periods`. An arm in `dropped` is not
    /// checked; an arm in `since` counts (with its reference) only the decisions made with that
    /// weight version or a later one: those after a person restored it.
    public func results(_ periods: WeightPeriods, dropped: Set<String> = [], since: [String: Int] = [:]) -> [GuardrailResult] {
        experiment.guardrails.enumerated().flatMap { index, guardrail in
            let reference = guardrail.reference ?? experiment.fallback
            return experiment.arms.indices.compactMap { armIndex -> GuardrailResult? in
                let arm = experiment.arms[armIndex].name
                guard arm != reference, let referenceIndex = experiment.arms.firstIndex(where: { $0.name == reference }) else { return nil }
                var result = GuardrailResult(guardrail: index + 1, metric: guardrail.metric, action: guardrail.action, arm: arm,
                                             reference: reference, state: .waiting, note: "")
                if dropped.contains(arm) {
                    result.state = .dropped
                    result.note = "dropped by a guardrail; not checked until a person restores it"
                    return result
                }
                let window = periods.periods.filter { $0.weightVersion >= (since[arm] ?? 0) }
                let armTotals = Self.sum(window.map { $0.totals[armIndex] })
                let referenceTotals = Self.sum(window.map { $0.totals[referenceIndex] })
                check(guardrail, arm: armTotals, reference: referenceTotals, into: &result)
                return result
            }
        }
    }

    private func check(_ guardrail: Guardrail, arm: ArmAggregate, reference: ArmAggregate, into result: inout GuardrailResult) {
        for (name, totals) in [(result.arm, arm), (result.reference, reference)] where totals.trials < guardrail.minTrials {
            result.note = "arm '\(name)' has \(totals.trials) of the \(guardrail.minTrials) decisions needed"
            return
        }
        guard let armSample = MetricSample(arm, metric: guardrail.metric),
              let referenceSample = MetricSample(reference, metric: guardrail.metric) else {
            result.note = "the \(guardrail.metric.rawValue) totals are not finite numbers"
            return
        }
        let change: Double
        let variance: Double
        var threshold: Double
        switch guardrail.tolerance {
        case .absolute(let tolerance):
            change = armSample.mean - referenceSample.mean
            variance = armSample.varianceOfMean + referenceSample.varianceOfMean
            threshold = tolerance
        case .relative(let tolerance):
            guard referenceSample.mean > 0 else {
                result.note = "the reference's \(guardrail.metric.rawValue) is 0, so a relative change has no value yet"
                return
            }
            let ratio = armSample.mean / referenceSample.mean
            change = ratio - 1
            // The delta method's variance of a ratio of independent means.
            variance = (armSample.varianceOfMean + ratio * ratio * referenceSample.varianceOfMean) / (referenceSample.mean * referenceSample.mean)
            threshold = tolerance
        }
        // No spread yet (a mean of values that never varied) says nothing about uncertainty, and a
        // value too close to 0 to divide by says nothing at all: neither may act.
        guard variance > 0, variance.isFinite, change.isFinite else {
            result.note = "the \(guardrail.metric.rawValue) values have not varied yet, so the test has nothing to go on"
            return
        }
        let halfWidth = sequence.halfWidth(variance: variance, sampleSize: arm.trials + reference.trials)
        let isHarmful: Bool
        if guardrail.direction == .higherIsBetter {
            threshold = -threshold
            isHarmful = change + halfWidth < threshold
        } else {
            isHarmful = change - halfWidth > threshold
        }
        let evidence = GuardrailEvidence(
            armTrials: arm.trials, referenceTrials: reference.trials, armMean: armSample.mean, referenceMean: referenceSample.mean,
            isRelative: guardrail.tolerance.isRelative, change: change, intervalLow: change - halfWidth, intervalHigh: change + halfWidth,
            threshold: threshold, alpha: alpha
        )
        result.evidence = evidence
        result.state = isHarmful ? .breached : .ok
        result.note = evidence.sentence(metric: guardrail.metric, arm: result.arm, reference: result.reference, isHarmful: isHarmful)
    }

    private static func sum(_ totals: [ArmAggregate]) -> ArmAggregate {
        var sum = ArmAggregate(experiment: "", arm: "", trials: 0, clicked: 0, converted: 0, engagementSum: 0, engagementSumOfSquares: 0)
        for row in totals { sum.add(row) }
        return sum
    }

    /// For each arm a person restored after a guardrail dropped it, the weight version that
    /// restored it: its guardrails count decisions from there.
    public static func restoredSince(_ versions: [WeightVersion]) -> [String: Int] {
        var since: [String: Int] = [:]
        for (earlier, later) in zip(versions, versions.dropFirst()) {
            for arm in earlier.droppedArms where !later.droppedArms.contains(arm) { since[arm] = later.version }
        }
        return since
    }
}

extension Guardrail.Tolerance {
    /// Whether the tolerance is a share of the reference's value.
    public var isRelative: Bool {
        if case .relative = self { return true }
        return false
    }
}

extension GuardrailEvidence {
    /// One sentence for people: the change, its interval and the threshold.
    func sentence(metric: Guardrail.Metric, arm: String, reference: String, isHarmful: Bool) -> String {
        func format(_ value: Double) -> String {
            isRelative ? String(format: "%+.2f%%", value * 100) : String(format: "%+.4g", value)
        }
        return "\(metric.rawValue) \(String(format: "%.4g", armMean)) in '\(arm)' vs \(String(format: "%.4g", referenceMean)) in '\(reference)' "
            + "(\(armTrials) and \(referenceTrials) decisions): change \(format(change)), always-valid interval "
            + "[\(format(intervalLow)), \(format(intervalHigh))] at alpha \(String(format: "%.3g", alpha)), "
            + (isHarmful ? "wholly beyond the threshold \(format(threshold))" : "not wholly beyond the threshold \(format(threshold))")
    }
}
