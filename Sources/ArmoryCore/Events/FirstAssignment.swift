/// How many units (users) were first assigned to one arm with one weight version in an
/// experiment's phase: each unit counted once, at its first counted decision. A unit's first
/// assignment is one independent draw from that version's weights, however many decisions the
/// unit makes later, which is what a sample-ratio check needs (decisions of one user are not
/// independent: they all go to the same arm).
public struct FirstAssignment: Sendable, Hashable, Codable {
    /// The experiment.
    public var experiment: String
    /// The arm the units were first assigned to.
    public var arm: String
    /// The weight version of their first decision.
    public var weightVersion: Int
    /// How many units.
    public var units: Int

    /// Creates a count.
    public init(experiment: String, arm: String, weightVersion: Int, units: Int) {
        self.experiment = experiment
        self.arm = arm
        self.weightVersion = weightVersion
        self.units = units
    }
}
