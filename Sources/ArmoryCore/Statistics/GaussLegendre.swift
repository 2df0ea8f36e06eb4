import Foundation

/// An n-point Gauss–Legendre rule on [−1, 1], with the matrix that integrates the rule's
/// interpolating polynomial from −1 up to each node (so running integrals, such as a CDF
/// built from its density, come from the same density values as the rule itself).
struct GaussLegendre: Sendable {
    /// The nodes, ascending.
    let nodes: [Double]
    /// The weights; they sum to 2.
    let weights: [Double]
    /// `partialIntegrals[k * n + m]`: the weight of f(node m) in ∫_{−1}^{node k} f.
    let partialIntegrals: [Double]

    /// The rule used by the P(best) integrator: exact for polynomials of degree 19 per panel.
    static let ten = GaussLegendre(pointCount: 10)

    init(pointCount n: Int) {
        var nodes = [Double](repeating: 0, count: n)
        var weights = [Double](repeating: 0, count: n)
        for i in 0..<n {
            // Newton from the Chebyshev-like first guess for the i-th root of P_n.
            var t = -cos(Double.pi * (Double(i) + 0.75) / (Double(n) + 0.5))
            for _ in 0..<100 {
                let (value, derivative) = Self.legendre(n, at: t)
                let step = value / derivative
                t -= step
                if abs(step) < 1e-16 { break }
            }
            let derivative = Self.legendre(n, at: t).derivative
            nodes[i] = t
            weights[i] = 2 / ((1 - t * t) * derivative * derivative)
        }
        var partial = [Double](repeating: 0, count: n * n)
        for k in 0..<n {
            let upper = nodes[k]
            // ∫_{-1}^{upper} P_j for j = 0..<n.
            var integralOfP = [Double](repeating: 0, count: n)
            var values = [Double](repeating: 0, count: n + 1)
            for j in 0...n { values[j] = Self.legendre(j, at: upper).value }
            integralOfP[0] = upper + 1
            for j in 1..<n { integralOfP[j] = (values[j + 1] - values[j - 1]) / Double(2 * j + 1) }
            for m in 0..<n {
                var sum = 0.0
                for j in 0..<n {
                    sum += Double(2 * j + 1) / 2 * Self.legendre(j, at: nodes[m]).value * integralOfP[j]
                }
                partial[k * n + m] = weights[m] * sum
            }
        }
        self.nodes = nodes
        self.weights = weights
        self.partialIntegrals = partial
    }

    /// P_n(t) and P_n'(t) by the three-term recurrence.
    private static func legendre(_ n: Int, at t: Double) -> (value: Double, derivative: Double) {
        if n == 0 { return (1, 0) }
        var previous = 1.0
        var current = t
        if n > 1 {
            for j in 2...n {
                let next = (Double(2 * j - 1) * t * current - Double(j - 1) * previous) / Double(j)
                previous = current
                current = next
            }
        }
        let derivative = abs(t) < 1 ? Double(n) * (t * current - previous) / (t * t - 1) : Double(n * (n + 1)) / 2
        return (current, derivative)
    }
}
