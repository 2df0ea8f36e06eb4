import Foundation

extension BestArmAnalysis {
    /// Probability mass left out beyond each arm's integration range, per tail.
    static let tailMass = 1e-14
    /// Where panel edges go around each arm, in its standard deviations from the mean; they
    /// are clipped to the arm's own quantile range, so the wide offsets only survive for
    /// skewed posteriors with long tails.
    static let panelOffsets: [Double] = [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 15, 19, 24, 30, 38, 48, 60, 80, 100, 150, 200, 300, 500, 1000,
    ]

    /// P(best) and expected loss by numerical integration, to about 1e-9 (1e-6 guaranteed).
    ///
    /// P(best_i) = ∫ pdf_i(x) ∏_{j≠i} cdf_j(x) dx over the range where every arm could still
    /// be best. The range is cut into panels at each arm's mean ± multiples of its standard
    /// deviation (graded towards a support boundary where a density is singular), so each
    /// panel is smooth at the scale of every arm; a 10-point Gauss–Legendre rule integrates
    /// each panel, and each cdf_j is carried across panels from its exact value at the lower
    /// end by integrating pdf_j with the same rule. Cost: O(K × panels × 10) exponentials.
    public static func exact(_ posteriors: [ArmPosterior]) -> BestArmAnalysis {
        let count = posteriors.count
        guard count > 1 else {
            return BestArmAnalysis(
                probabilityBest: Array(repeating: 1, count: count),
                expectedLoss: Array(repeating: 0, count: count),
                standardErrors: Array(repeating: 0, count: count),
                method: .exactIntegration
            )
        }
        let ranges = posteriors.map { $0.quantile(tailMass)...$0.quantile(1 - tailMass) }
        let lower = ranges.map(\.lowerBound).max()!
        let upper = max(ranges.map(\.upperBound).max()!, lower)
        let edges = panelEdges(posteriors, ranges: ranges, lower: lower, upper: upper)

        let densities = posteriors.map(LogDensity.init)
        let rule = GaussLegendre.ten
        let points = rule.nodes.count
        var cdfAtPanelStart = posteriors.map { $0.cumulativeProbability(at: lower) }
        var pdf = [Double](repeating: 0, count: count * points)
        var cdfAtNode = [Double](repeating: 0, count: count)
        var prefix = [Double](repeating: 1, count: count + 1)
        var suffix = [Double](repeating: 1, count: count + 1)
        var probability = [Double](repeating: 0, count: count)
        var expectedMaximum = 0.0

        for panel in 0..<(edges.count - 1) {
            let start = edges[panel]
            let halfWidth = (edges[panel + 1] - start) / 2
            guard halfWidth > 0 else { continue }
            let center = start + halfWidth
            evaluate(densities, center: center, halfWidth: halfWidth, rule: rule, into: &pdf)
            for node in 0..<points {
                let x = center + halfWidth * rule.nodes[node]
                let weight = halfWidth * rule.weights[node]
                for arm in 0..<count {
                    var partial = 0.0
                    for m in 0..<points {
                        partial += rule.partialIntegrals[node * points + m] * pdf[arm * points + m]
                    }
                    cdfAtNode[arm] = min(max(cdfAtPanelStart[arm] + halfWidth * partial, 0), 1)
                }
                for arm in 0..<count { prefix[arm + 1] = prefix[arm] * cdfAtNode[arm] }
                for arm in stride(from: count - 1, through: 0, by: -1) { suffix[arm] = suffix[arm + 1] * cdfAtNode[arm] }
                for arm in 0..<count {
                    let term = weight * pdf[arm * points + node] * prefix[arm] * suffix[arm + 1]
                    probability[arm] += term
                    expectedMaximum += x * term
                }
            }
            for arm in 0..<count {
                var total = 0.0
                for node in 0..<points { total += rule.weights[node] * pdf[arm * points + node] }
                cdfAtPanelStart[arm] = min(cdfAtPanelStart[arm] + halfWidth * total, 1)
            }
        }
        // The quadrature sums to 1 within rounding; a probability is still shown within [0, 1].
        return BestArmAnalysis(
            probabilityBest: probability.map { min(max($0, 0), 1) },
            expectedLoss: posteriors.map { max(expectedMaximum - $0.mean, 0) },
            standardErrors: Array(repeating: 0, count: count),
            method: .exactIntegration
        )
    }

    /// Each arm's density at each of `rule`'s nodes on the panel around `center`, into `pdf`
    /// (arm-major: `pdf[arm * nodes + node]`).
    @inline(__always)
    private static func evaluate(
        _ densities: [LogDensity], center: Double, halfWidth: Double, rule: GaussLegendre, into pdf: inout [Double]
    ) {
        let points = rule.nodes.count
        for node in 0..<points {
            let x = center + halfWidth * rule.nodes[node]
            let logX = log(x)
            let logOneMinusX = log1p(-x)
            for arm in densities.indices {
                pdf[arm * points + node] = densities[arm].value(at: x, logX: logX, logOneMinusX: logOneMinusX)
            }
        }
    }

    /// The sorted panel edges between `lower` and `upper`.
    private static func panelEdges(
        _ posteriors: [ArmPosterior], ranges: [ClosedRange<Double>], lower: Double, upper: Double
    ) -> [Double] {
        var edges = [lower, upper]
        for (posterior, range) in zip(posteriors, ranges) {
            let mean = posterior.mean
            let sd = posterior.standardDeviation
            let from = max(range.lowerBound, lower)
            let to = min(range.upperBound, upper)
            guard from < to else { continue }
            edges.append(from)
            edges.append(to)
            for offset in panelOffsets {
                for edge in [mean - offset * sd, mean + offset * sd] where edge > from && edge < to {
                    edges.append(edge)
                }
            }
        }
        edges = sortedUnique(edges)
        // A beta density can be singular (or not smooth) at 0 and 1; when the range reaches a
        // boundary, grade the first or last panel geometrically towards it.
        guard edges.count >= 2, posteriors.contains(where: \.isBeta) else { return edges }
        if edges[0] < 1e-3 * (edges[1] - edges[0]) {
            let (a, b) = (edges[0], edges[1])
            edges.append(contentsOf: (1...50).map { a + (b - a) * pow(0.5, Double($0)) })
        }
        if let last = edges.last {
            let previous = edges[edges.count - 2]
            if 1 - last < 1e-3 * (last - previous) {
                edges.append(contentsOf: (1...50).map { last - (last - previous) * pow(0.5, Double($0)) })
            }
        }
        return sortedUnique(edges)
    }

    private static func sortedUnique(_ values: [Double]) -> [Double] {
        var sorted = values.sorted()
        var kept = 0
        for value in sorted where kept == 0 || value > sorted[kept - 1] {
            sorted[kept] = value
            kept += 1
        }
        return Array(sorted[..<kept])
    }
}

/// A density prepared for fast evaluation inside the integrator.
private struct LogDensity {
    private let isBeta: Bool
    private let first: Double
    private let second: Double
    private let offset: Double

    init(_ posterior: ArmPosterior) {
        switch posterior {
        case .beta(let beta):
            isBeta = true
            first = beta.alpha - 1
            second = beta.beta - 1
            offset = -SpecialFunctions.logBeta(beta.alpha, beta.beta)
        case .normal(let normal):
            isBeta = false
            first = normal.mean
            second = 1 / normal.standardDeviation
            offset = -log(normal.standardDeviation * (2 * Double.pi).squareRoot())
        }
    }

    func value(at x: Double, logX: Double, logOneMinusX: Double) -> Double {
        if isBeta {
            return exp(first * logX + second * logOneMinusX + offset)
        }
        let z = (x - first) * second
        return exp(-0.5 * z * z + offset)
    }
}

extension ArmPosterior {
    var isBeta: Bool {
        if case .beta = self { return true }
        return false
    }
}
