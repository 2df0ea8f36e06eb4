/// Which arm is best, in probability: for each arm, P(best) and the expected loss of
/// choosing it (how much of the best arm's value one gives up, on average).
public struct BestArmAnalysis: Sendable, Hashable {
    /// How the numbers were computed.
    public enum Method: Sendable, Hashable, Codable, CustomStringConvertible {
        /// One-dimensional numerical integration of pdf_i ∏_{j≠i} cdf_j; deterministic.
        case exactIntegration
        /// Seeded Monte Carlo with `draws` joint draws.
        case monteCarlo(draws: Int, seed: UInt64)

        public var description: String {
            switch self {
            case .exactIntegration: "exact-integration"
            case .monteCarlo(let draws, let seed): "monte-carlo(draws: \(draws), seed: \(seed))"
            }
        }
    }

    /// P(arm i has the highest true value), one per arm; they sum to 1.
    public var probabilityBest: [Double]
    /// E[max_j θ_j − θ_i], one per arm, in the units of the objective.
    public var expectedLoss: [Double]
    /// For Monte Carlo, the standard error of each P(best); zeros for exact integration.
    public var standardErrors: [Double]
    /// How the numbers were computed.
    public var method: Method

    /// Creates an analysis from computed values.
    public init(probabilityBest: [Double], expectedLoss: [Double], standardErrors: [Double], method: Method) {
        self.probabilityBest = probabilityBest
        self.expectedLoss = expectedLoss
        self.standardErrors = standardErrors
        self.method = method
    }
}
