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

    /// Tests `observed` counts per arm against `weights` (normalized here). Arms with zero
    /// weight are left out; if one of them received traffic the p-value is 0.
    /// Returns `nil` when there is nothing to test (no traffic, or fewer than two weighted arms).
    public init?(observed: [Int], weights: [Double]) {
        precondition(observed.count == weights.count, "one weight per arm")
        let total = observed.reduce(0, +)
        let weightSum = weights.reduce(0, +)
        let weighted = zip(observed, weights).filter { $0.1 > 0 }
        guard total > 0, weightSum > 0, weighted.count >= 2 else { return nil }
        degreesOfFreedom = weighted.count - 1
        if weighted.reduce(0, { $0 + $1.0 }) < total {
            chiSquare = .infinity
            pValue = 0
            return
        }
        chiSquare = weighted.reduce(0) { sum, arm in
            let expected = Double(total) * arm.1 / weightSum
            let difference = Double(arm.0) - expected
            return sum + difference * difference / expected
        }
        pValue = SpecialFunctions.regularizedUpperIncompleteGamma(Double(degreesOfFreedom) / 2, chiSquare / 2)
    }
}
