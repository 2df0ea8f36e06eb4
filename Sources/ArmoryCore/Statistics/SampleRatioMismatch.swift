/// The sample-ratio-mismatch check: does the traffic each arm received fit the weights in
/// force? A tiny p-value means assignment or logging is broken, and results should not be trusted.
public struct SampleRatioMismatch: Sendable, Hashable {
    /// Pearson's chi-square statistic Σ (observed − expected)² / expected.
    public var chiSquare: Double
    /// Degrees of freedom: arms with a positive weight, minus one.
    public var degreesOfFreedom: Int
    /// P(a statistic at least this large | traffic follows the weights).
    public var pValue: Double

    /// Tests `observed` counts per arm against `expected` counts (the same total): arms that
    /// expect none are left out, and if one of them received traffic the p-value is 0 however
    /// few the decisions. Returns `nil` when there is nothing to test (no traffic, or fewer than
    /// two arms expecting any).
    public init?(observed: [Int], expected: [Double]) {
        precondition(observed.count == expected.count, "one expected count per arm")
        let tested = zip(observed, expected).filter { $0.1 > 0 }
        guard observed.reduce(0, +) > 0 else { return nil }
        if zip(observed, expected).contains(where: { $0.1 <= 0 && $0.0 > 0 }) {
            degreesOfFreedom = max(tested.count, 1)
            chiSquare = .infinity
            pValue = 0
            return
        }
        guard tested.count >= 2 else { return nil }
        degreesOfFreedom = tested.count - 1
        chiSquare = tested.reduce(0) { sum, arm in
            let difference = Double(arm.0) - arm.1
            return sum + difference * difference / arm.1
        }
        pValue = SpecialFunctions.regularizedUpperIncompleteGamma(Double(degreesOfFreedom) / 2, chiSquare / 2)
    }

    /// Tests `observed` counts per arm against `weights` (normalized here): the expected counts
    /// are the total split by the weights, checked as ``init(observed:expected:)`` checks them.
    public init?(observed: [Int], weights: [Double]) {
        precondition(observed.count == weights.count, "one weight per arm")
        let total = Double(observed.reduce(0, +))
        let weightSum = weights.reduce(0, +)
        guard weightSum > 0 else { return nil }
        self.init(observed: observed, expected: weights.map { total * $0 / weightSum })
    }
}
