/// An arm's decisions in a phase split by the trained model version that made their lists:
/// how results are read across an alias move, when one arm served two versions in turn.
public struct ModelAggregate: Sendable, Hashable, Codable {
    /// The arm.
    public var arm: String
    /// The model version (`movies-mf@3`); empty for decisions no model made (the fallback's).
    public var model: String
    /// Decisions, and those with a click, a conversion, and the engagement summed.
    public var trials: Int
    public var clicked: Int
    public var converted: Int
    public var engagementSum: Double

    /// Creates totals.
    public init(arm: String, model: String, trials: Int, clicked: Int, converted: Int, engagementSum: Double) {
        self.arm = arm
        self.model = model
        self.trials = trials
        self.clicked = clicked
        self.converted = converted
        self.engagementSum = engagementSum
    }
}
