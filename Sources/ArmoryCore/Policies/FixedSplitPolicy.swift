/// The fixed-split policy: the weights in the experiment file, for its whole life.
/// Its only version is the initial one; changes come from people (rollback, manual).
public struct FixedSplitPolicy: Sendable {
    /// The configured weights, in arm order.
    public let weights: [Double]

    /// The policy for `experiment`.
    public init(experiment: Experiment) {
        weights = experiment.weights
    }

    /// The weights for every update: always the configured ones.
    public func weights(for observations: [ArmObservation]) -> [Double] {
        weights
    }
}
