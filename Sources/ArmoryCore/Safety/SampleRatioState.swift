import Foundation

/// The sample-ratio check of an experiment's phase: each unit counted once, in the arm of its
/// first decision, against the weights that decision was made with (``WeightPeriods``): what the
/// results show and a mismatch's audit entry records.
public struct SampleRatioState: Sendable, Hashable, Codable {
    /// Where the check stands.
    public enum State: String, Sendable, Hashable, Codable {
        /// Too few units: some arm expects fewer than 5.
        case waiting
        /// The split fits the weights.
        case ok
        /// The p-value is below the experiment's `safety.mismatch_p_value`.
        case mismatch
    }

    /// Where it stands.
    public var state: State
    /// Pearson's chi-square p-value, once there are decisions.
    public var pValue: Double?
    /// The statistic.
    public var chiSquare: Double?
    /// Its degrees of freedom.
    public var degreesOfFreedom: Int?
    /// Each arm's units (users), counted at their first decision, in arm order.
    public var observed: [Int]
    /// Each arm's expected units: Σ over weight versions of (units first assigned with it × the
    /// arm's weight in it).
    public var expected: [Double]
    /// The p-value below which the split counts as mismatched.
    public var threshold: Double
    /// What a mismatch does.
    public var action: SafetySettings.MismatchAction
    /// Weight versions units were first assigned with, in the phase.
    public var periods: Int
    /// Why, for people.
    public var note: String

    /// The check of `periods` under `settings`.
    public init(periods: WeightPeriods, settings: SafetySettings) {
        observed = periods.observedUnits
        expected = periods.expectedUnits
        threshold = settings.mismatchPValue
        action = settings.onMismatch
        self.periods = periods.assignmentPeriods
        let check = periods.sampleRatioMismatch
        pValue = check.map(\.pValue)
        chiSquare = check.flatMap { $0.chiSquare.isFinite ? $0.chiSquare : nil }
        degreesOfFreedom = check?.degreesOfFreedom
        guard let check, periods.expectsEnough() || check.pValue == 0 else {
            state = .waiting
            note = "waiting: every arm needs to expect at least 5 users"
            return
        }
        state = check.pValue < settings.mismatchPValue ? .mismatch : .ok
        let summary = "chi-square p = \(check.pValue.formatted(.number.precision(.significantDigits(3)))) on \(observed.reduce(0, +)) users "
            + "over \(self.periods) weight version(s)"
        note = state == .mismatch
            ? "mismatch: the arms' users do not fit the weights they were assigned with (\(summary)); assignment or event collection is broken"
            : "ok: \(summary)"
    }
}
