import ArmoryCore
import Foundation

/// What Armory tells the outside world: a guardrail breach, a sample-ratio mismatch, new
/// weights, a status change. The webhook's JSON body.
public struct Notice: Sendable, Hashable, Encodable {
    /// What happened.
    public enum Kind: String, Sendable, Hashable, Encodable {
        /// A guardrail found an arm worse than it tolerates.
        case guardrailBreached = "guardrail.breached"
        /// The arms' decision counts do not fit the weights they were made with.
        case sampleRatioMismatch = "sample_ratio.mismatch"
        /// A new weight version (scheduled, a guardrail's drop, a person's change).
        case weightsChanged = "weights.changed"
        /// The experiment was paused or resumed.
        case statusChanged = "status.changed"
    }

    /// Unique per notice: a receiver that gets one twice (a retry after a lost answer) can tell.
    public var id: String
    /// What happened.
    public var kind: Kind
    /// The experiment.
    public var experiment: String
    /// When.
    public var time: Date
    /// Who: `worker` for the guardrails and the policy, else a person.
    public var actor: String
    /// One sentence for people.
    public var summary: String
    /// The guardrail's finding, for a breach.
    public var guardrail: GuardrailResult?
    /// The check's figures, for a mismatch.
    public var sampleRatio: SampleRatioState?
    /// The new weights, for a weight change.
    public var weights: WeightVersion?
    /// The new status (`running`, `paused`), for a status change.
    public var status: String?

    /// Creates a notice.
    public init(
        kind: Kind, experiment: String, time: Date, actor: String, summary: String, guardrail: GuardrailResult? = nil,
        sampleRatio: SampleRatioState? = nil, weights: WeightVersion? = nil, status: String? = nil
    ) {
        id = UUID().uuidString.lowercased()
        self.kind = kind
        self.experiment = experiment
        self.time = time
        self.actor = actor
        self.summary = summary
        self.guardrail = guardrail
        self.sampleRatio = sampleRatio
        self.weights = weights
        self.status = status
    }

    private enum CodingKeys: String, CodingKey {
        case id, kind = "type", experiment, time, actor, summary, guardrail, sampleRatio, weights, status
    }
}

/// Where notices go. ``Webhook`` sends them to `ARMORY_WEBHOOK_URL`; without one they go nowhere.
public protocol Notifier: Sendable {
    /// Queues `notice` for delivery; never waits for it.
    func send(_ notice: Notice)
}

/// Drops every notice: no webhook is configured.
public struct NoNotifier: Notifier {
    public init() {}
    public func send(_ notice: Notice) {}
}
