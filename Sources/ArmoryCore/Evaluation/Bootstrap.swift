/// A figure with its 95% percentile-bootstrap interval.
public struct Estimate: Sendable, Hashable, Codable {
    /// The figure over the whole sample.
    public var value: Double
    /// The 2.5th percentile of the figure over resamples.
    public var lower: Double
    /// The 97.5th percentile.
    public var upper: Double

    /// Creates an estimate.
    public init(value: Double, lower: Double, upper: Double) {
        self.value = value
        self.lower = lower
        self.upper = upper
    }
}

/// Percentile bootstrap over users: resample the users with replacement `resamples` times and
/// take the 2.5th and 97.5th percentiles of the figure. Seeded, so the same inputs give the
/// same intervals.
public struct Bootstrap: Sendable {
    /// How many resamples.
    public var resamples: Int
    /// The seed of the resampling.
    public var seed: UInt64

    /// Creates a bootstrap.
    public init(resamples: Int = 1_000, seed: UInt64 = 1) {
        self.resamples = max(1, resamples)
        self.seed = seed
    }

    /// The mean of `values` with its interval.
    public func mean(_ values: [Double]) -> Estimate {
        guard !values.isEmpty else { return Estimate(value: 0, lower: 0, upper: 0) }
        let count = values.count
        return estimate(value: values.reduce(0, +) / Double(count), count: count) { pick in
            var sum = 0.0
            for _ in 0..<count { sum += values[pick()] }
            return sum / Double(count)
        }
    }

    /// The share of the `catalogSize` movies that some user's list holds, with its interval
    /// over resampled users. `lists` holds each user's recommended movies as catalog indexes.
    /// A resample repeats some users and leaves others out, so it always covers fewer movies
    /// than the whole sample: the interval is the resamples' percentiles shifted by that bias
    /// (the resamples' mean minus the whole sample's figure).
    public func coverage(_ lists: [[Int32]], catalogSize: Int) -> Estimate {
        guard !lists.isEmpty, catalogSize > 0 else { return Estimate(value: 0, lower: 0, upper: 0) }
        // A movie is marked in a resample when its mark equals the resample's number: no clearing.
        var marks = [Int32](repeating: -1, count: catalogSize)
        var resample: Int32 = 0
        func covered(_ pickUser: () -> Int, users: Int) -> Double {
            var distinct = 0
            for _ in 0..<users {
                for movie in lists[pickUser()] where marks[Int(movie)] != resample {
                    marks[Int(movie)] = resample
                    distinct += 1
                }
            }
            resample += 1
            return Double(distinct) / Double(catalogSize)
        }
        var next = 0
        let whole = covered({ defer { next += 1 }; return next }, users: lists.count)
        return estimate(value: whole, count: lists.count, correctingBias: true) { pick in covered(pick, users: lists.count) }
    }

    private func estimate(value: Double, count: Int, correctingBias: Bool = false, _ figure: (_ pick: () -> Int) -> Double) -> Estimate {
        var generator = Xoshiro256StarStar(seed: seed)
        var figures: [Double] = []
        figures.reserveCapacity(resamples)
        for _ in 0..<resamples {
            figures.append(figure { Int(generator.next() % UInt64(count)) })
        }
        figures.sort()
        let bias = correctingBias ? figures.reduce(0, +) / Double(figures.count) - value : 0
        return Estimate(value: value, lower: Self.percentile(figures, 0.025) - bias, upper: Self.percentile(figures, 0.975) - bias)
    }

    /// The `p` quantile of sorted `values`, interpolating linearly between neighbours.
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        let position = p * Double(sorted.count - 1)
        let low = Int(position.rounded(.down))
        let high = min(sorted.count - 1, low + 1)
        return sorted[low] + (sorted[high] - sorted[low]) * (position - Double(low))
    }
}
