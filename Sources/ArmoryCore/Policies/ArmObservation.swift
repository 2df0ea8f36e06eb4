/// What one arm has observed since the experiment's phase start: the input to a policy update,
/// recorded in every ``WeightVersion`` so that the update can be recomputed.
public struct ArmObservation: Sendable, Hashable, Codable {
    /// The arm's name.
    public var arm: String
    /// Decisions served by the arm.
    public var trials: Int
    /// Decisions with at least one success (click for CTR, conversion for conversion).
    public var successes: Int
    /// Sum of the engagement values of its decisions.
    public var valueSum: Double
    /// Sum of the squared engagement values.
    public var valueSumOfSquares: Double
    /// Of the trials, those the fallback arm answered because the arm's module overran its budget.
    public var timeouts: Int
    /// Of the trials, those the fallback arm answered because the arm's module threw.
    public var errors: Int

    /// Creates an observation.
    public init(
        arm: String, trials: Int, successes: Int = 0, valueSum: Double = 0, valueSumOfSquares: Double = 0, timeouts: Int = 0, errors: Int = 0
    ) {
        self.arm = arm
        self.trials = trials
        self.successes = successes
        self.valueSum = valueSum
        self.valueSumOfSquares = valueSumOfSquares
        self.timeouts = timeouts
        self.errors = errors
    }

    /// Of the trials, those the fallback arm answered (its module failed).
    public var fallbacks: Int { timeouts + errors }

    /// The posterior for `objective`, or `nil` when the data cannot define one yet
    /// (an engagement arm with fewer than two decisions).
    public func posterior(for objective: Objective, prior: BetaPrior) -> ArmPosterior? {
        if objective.isRate {
            return .rate(successes: min(max(successes, 0), max(trials, 0)), trials: max(trials, 0), prior: prior)
        }
        return engagement.posterior
    }

    /// The engagement totals.
    public var engagement: EngagementSummary {
        EngagementSummary(count: trials, sum: valueSum, sumOfSquares: valueSumOfSquares)
    }

    private enum CodingKeys: String, CodingKey {
        case arm, trials, successes, valueSum, valueSumOfSquares, timeouts, errors
    }

    /// Reads an observation; one recorded before fallbacks were counted has none.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        arm = try container.decode(String.self, forKey: .arm)
        trials = try container.decode(Int.self, forKey: .trials)
        successes = try container.decode(Int.self, forKey: .successes)
        valueSum = try container.decode(Double.self, forKey: .valueSum)
        valueSumOfSquares = try container.decode(Double.self, forKey: .valueSumOfSquares)
        timeouts = try container.decodeIfPresent(Int.self, forKey: .timeouts) ?? 0
        errors = try container.decodeIfPresent(Int.self, forKey: .errors) ?? 0
    }
}
