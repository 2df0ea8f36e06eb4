/// Puts units into arms: hashes the unit with the experiment's seed and finds the arm whose
/// range holds the bucket. Same unit and same weights ⇒ same arm, on every replica.
///
/// Arm i owns [start_i, start_i + coverage · w_i) with start_i = w_0 + … + w_{i−1}, exactly as
/// GrowthBook's `getBucketRanges`; a bucket in no range gets the fallback arm and is not
/// counted in the experiment.
public struct Assigner: Sendable, Hashable {
    /// Where a unit landed.
    public enum Assignment: Sendable, Hashable {
        /// In the experiment, in the arm at this index.
        case arm(Int)
        /// Outside coverage (or in a gap left by weights summing below 1): serve the fallback
        /// arm, and do not count the unit in the experiment.
        case fallback
    }

    /// The hashing seed (the experiment's `seed`, by default its id).
    public let seed: String
    /// The share of units in the experiment, in [0, 1].
    public let coverage: Double
    private let starts: [Double]
    private let ends: [Double]

    /// Creates an assigner for arms with `weights` (in arm order).
    public init(seed: String, weights: [Double], coverage: Double = 1) {
        precondition(weights.allSatisfy { $0 >= 0 && $0.isFinite }, "weights must be finite and non-negative")
        precondition(coverage >= 0 && coverage <= 1, "coverage must be in [0, 1]")
        self.seed = seed
        self.coverage = coverage
        var cumulative = 0.0
        var starts: [Double] = []
        var ends: [Double] = []
        for weight in weights {
            starts.append(cumulative)
            ends.append(cumulative + coverage * weight)
            cumulative += weight
        }
        self.starts = starts
        self.ends = ends
    }

    /// The arm for `unit`.
    public func assign(_ unit: String) -> Assignment {
        arm(forBucket: assignmentBucket(seed: seed, unit: unit))
    }

    /// The arm whose range holds `bucket`.
    public func arm(forBucket bucket: Double) -> Assignment {
        for index in starts.indices where bucket >= starts[index] && bucket < ends[index] {
            return .arm(index)
        }
        return .fallback
    }
}
