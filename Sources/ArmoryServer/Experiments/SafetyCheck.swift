import ArmoryCore
import ArmoryStorage
import Foundation
import Logging

/// The safety step of a weight update: every guardrail of an experiment, then its sample-ratio
/// check, and the actions they call for. A breach is recorded in the audit log with its evidence
/// and sent to the webhook; `drop_arm` appends a weight version with the arm at 0 (every arm that
/// breached in the cycle, in one version); `pause` (a guardrail's, or a mismatch's with
/// `safety.on_mismatch: pause`) appends a status change. An `alert` or `pause` acts once per
/// guardrail and arm in a phase, so a person who resumes is not overruled by the same evidence;
/// a dropped arm is checked again, on the decisions after it, once a person restores it.
struct SafetyCheck: Sendable {
    /// What the check did.
    enum Outcome: Sendable, Hashable {
        /// Arms dropped, in this new weight version.
        case dropped(WeightVersion)
        /// The experiment paused, and why.
        case paused(String)
        /// Another process changed the weights since this cycle read them; nothing was done.
        case skipped
    }

    /// The audit actions the check writes.
    static let guardrailAction = "guardrail"
    static let mismatchAction = "sample_ratio_mismatch"

    let registry: ExperimentRegistry
    let store: any StateStore
    let notifier: any Notifier
    let metrics: ServerMetrics
    let logger: Logger

    /// Checks `live` on `periods` (its phase's totals by weight version, `versions` its weight
    /// history); the action it took, if one changed weights or status.
    func run(_ live: LiveExperiment, periods: WeightPeriods, versions: [WeightVersion], now: Date) async throws -> Outcome? {
        let results = GuardrailCheck(experiment: live.experiment).results(
            periods, dropped: Set(live.weights.droppedArms), since: GuardrailCheck.restoredSince(versions))
        let breaches = results.filter { $0.state == .breached }
        let mismatch = SampleRatioState(periods: periods, settings: live.experiment.safety)
        guard !breaches.isEmpty || mismatch.state == .mismatch else { return nil }
        let acted = try await actedThisPhase(live)
        let fresh = breaches.filter { $0.action == .dropArm || !acted.contains(Self.key($0)) }
        // The drop first, and only onto the version this check read: when a person changed the
        // weights meanwhile, nothing is recorded and the next cycle looks again.
        var dropped: WeightVersion?
        let drops = fresh.filter { $0.action == .dropArm }
        if !drops.isEmpty {
            guard let stored = try await drop(drops, live: live, now: now) else { return .skipped }
            dropped = stored
        }
        var pause: String?
        for breach in fresh {
            try await record(breach, live: live, now: now)
            if breach.action == .pause {
                pause = pause ?? "guardrail \(breach.metric.rawValue) breached by arm '\(breach.arm)': \(breach.note)"
            }
        }
        if let dropped {
            notifier.send(Notice(kind: .weightsChanged, experiment: live.id, time: now, actor: "worker", summary: dropped.note, weights: dropped))
        }
        if mismatch.state == .mismatch, !acted.contains(Self.mismatchAction) {
            try await record(mismatch, live: live, now: now)
            if mismatch.action == .pause { pause = pause ?? mismatch.note }
        }
        if let pause {
            try await self.pause(live, reason: pause, now: now)
            return .paused(pause)
        }
        return dropped.map { .dropped($0) }
    }

    /// The guardrails (as ``key(_:)``) and checks that already acted in `live`'s phase.
    private func actedThisPhase(_ live: LiveExperiment) async throws -> Set<String> {
        let entries = try await store.auditEntries(experimentID: live.id, actions: [Self.guardrailAction, Self.mismatchAction],
                                                   since: live.phaseStart)
        var keys: Set<String> = []
        for entry in entries {
            if entry.action == Self.mismatchAction { keys.insert(Self.mismatchAction) }
            guard entry.action == Self.guardrailAction,
                  let result = try? APIJSON.responseDecoder.decode(GuardrailResult.self, from: Data(entry.detail.utf8)) else { continue }
            keys.insert(Self.key(result))
        }
        return keys
    }

    static func key(_ result: GuardrailResult) -> String {
        "\(result.guardrail):\(result.metric.rawValue):\(result.arm)"
    }

    private func record(_ breach: GuardrailResult, live: LiveExperiment, now: Date) async throws {
        let detail = String(decoding: try Self.encoder.encode(breach), as: UTF8.self)
        _ = try await store.appendAuditEntry(NewAuditEntry(
            experimentID: live.id, actor: "worker", action: Self.guardrailAction,
            reason: "\(breach.action.rawValue): \(breach.note)", detail: detail, createdAt: now))
        metrics.increment("armory_guardrail_breaches_total", [("experiment", live.id), ("action", breach.action.rawValue)])
        logger.warning("guardrail breached", metadata: [
            "experiment": "\(live.id)", "arm": "\(breach.arm)", "metric": "\(breach.metric.rawValue)",
            "action": "\(breach.action.rawValue)", "evidence": "\(breach.note)"])
        notifier.send(Notice(kind: .guardrailBreached, experiment: live.id, time: now, actor: "worker", summary: breach.note, guardrail: breach))
    }

    private func record(_ mismatch: SampleRatioState, live: LiveExperiment, now: Date) async throws {
        let detail = String(decoding: try Self.encoder.encode(mismatch), as: UTF8.self)
        _ = try await store.appendAuditEntry(NewAuditEntry(
            experimentID: live.id, actor: "worker", action: Self.mismatchAction, reason: "\(mismatch.action.rawValue): \(mismatch.note)",
            detail: detail, createdAt: now))
        metrics.increment("armory_sample_ratio_mismatches_total", [("experiment", live.id)])
        logger.warning("sample-ratio mismatch", metadata: ["experiment": "\(live.id)", "evidence": "\(mismatch.note)"])
        notifier.send(Notice(kind: .sampleRatioMismatch, experiment: live.id, time: now, actor: "worker", summary: mismatch.note,
                             sampleRatio: mismatch))
    }

    private func pause(_ live: LiveExperiment, reason: String, now: Date) async throws {
        registry.publish(try await store.appendStatusChange(NewStatusChange(
            experimentID: live.id, status: .paused, actor: "worker", reason: reason, createdAt: now)))
        notifier.send(Notice(kind: .statusChanged, experiment: live.id, time: now, actor: "worker", summary: reason, status: "paused"))
    }

    /// The weight version with every arm of `breaches` dropped, appended onto the version `live`
    /// serves, or `nil` when another process appended one first.
    private func drop(_ breaches: [GuardrailResult], live: LiveExperiment, now: Date) async throws -> WeightVersion? {
        var next = live.weights
        next.configVersion = live.config.version
        for breach in breaches {
            next = next.dropping(breach.arm, fallback: live.experiment.fallback, actor: "worker",
                                 note: "guardrail \(breach.metric.rawValue): \(breach.note)", at: now)
            next.version = live.weights.version + 1
        }
        next.note = breaches.map { "guardrail \($0.metric.rawValue) dropped '\($0.arm)': \($0.note)" }.joined(separator: "; ")
        guard let stored = try await store.appendWeightVersion(next, after: live.weights.version) else { return nil }
        registry.publish(stored)
        logger.warning("arm dropped by a guardrail", metadata: [
            "experiment": "\(live.id)", "version": "\(stored.version)", "arms": "\(breaches.map(\.arm).joined(separator: ","))"])
        return stored
    }

    /// The JSON of audit details: the API's, so a reader decodes them as it decodes answers.
    static let encoder = APIJSON.encoder
}
