import ArmoryCore
import ArmoryStorage
import Foundation

/// The changes people make to running experiments — roll back, pause, resume, reload the
/// files — each appended to the history (never editing it), recorded in the audit log with who
/// and why, and served at once by this process (others pick it up on their next refresh). The
/// admin routes, the CLI through them, and SIGHUP all change experiments through this one type.
public struct ExperimentControl: Sendable {
    /// Where to roll back to.
    public enum Target: Sendable, Hashable {
        /// Restore the weights of this version, as a new version.
        case version(Int)
        /// Send every unit to this arm and freeze updates.
        case arm(String)
    }

    let registry: ExperimentRegistry
    let store: any StateStore
    /// Told of every weight and status change made here.
    let notifier: any Notifier

    /// The changes to `registry`'s experiments, kept in `store`, told to `notifier`.
    public init(registry: ExperimentRegistry, store: any StateStore, notifier: any Notifier = NoNotifier()) {
        self.registry = registry
        self.store = store
        self.notifier = notifier
    }

    /// The experiments served with an arm whose model parameter is `reference`: those an alias
    /// move changes, whose audit logs record it.
    public func experiments(following reference: ModelReference) -> [String] {
        let text = reference.description
        return registry.experiments.filter { live in
            live.experiment.arms.contains { $0.parameters["model"] == .string(text) && live.recommender.models[$0.name] != nil }
        }.map(\.id).sorted()
    }

    /// Rolls `experimentID` back to `target`.
    public func rollback(_ experimentID: String, to target: Target, actor: String, reason: String) async throws -> LiveExperiment {
        let live = try experiment(experimentID)
        let now = Date()
        switch target {
        case .version(let number):
            let versions = try await store.weightVersions(of: experimentID)
            guard let restored = versions.first(where: { $0.version == number }) else {
                throw ArmoryError(.notFound, .unknownVersion, "experiment '\(experimentID)' has weight versions 1 to \(versions.count), not \(number)")
            }
            let arms = live.experiment.arms.map(\.name)
            guard restored.arms == arms else {
                throw ArmoryError(.conflict, .armsChanged, "weight version \(number) is for arms \(restored.arms.joined(separator: ", ")); "
                    + "the experiment now has \(arms.joined(separator: ", "))")
            }
            // The restored version's dropped arms come back with it: a rollback to before a
            // guardrail's drop is a person restoring the arm.
            let stored = try await store.appendWeightVersion(WeightVersion(
                experimentID: experimentID, version: 0, configVersion: live.config.version, arms: arms, weights: restored.weights,
                droppedArms: restored.droppedArms, reason: .rollback, actor: actor, note: reason, createdAt: now
            ))
            registry.publish(stored)
            notifier.send(Notice(kind: .weightsChanged, experiment: experimentID, time: now, actor: actor, summary: reason, weights: stored))
            // Restored weights are meant to be served: a pin to one arm ends with them.
            if case .pinned = live.serving {
                registry.publish(try await store.appendStatusChange(NewStatusChange(
                    experimentID: experimentID, status: .running, actor: actor, reason: reason, createdAt: now)))
            }
            _ = try await store.appendAuditEntry(NewAuditEntry(
                experimentID: experimentID, actor: actor, action: "rollback", reason: reason,
                detail: "to_version=\(number) new_version=\(stored.version)", createdAt: now))
        case .arm(let arm):
            guard live.experiment.arms.contains(where: { $0.name == arm }) else {
                throw ArmoryError.invalid("to_arm", "experiment '\(experimentID)' has no arm '\(arm)'; its arms are "
                    + live.experiment.arms.map(\.name).joined(separator: ", "))
            }
            registry.publish(try await store.appendStatusChange(NewStatusChange(
                experimentID: experimentID, status: .running, pinnedArm: arm, actor: actor, reason: reason, createdAt: now)))
            _ = try await store.appendAuditEntry(NewAuditEntry(
                experimentID: experimentID, actor: actor, action: "rollback", reason: reason, detail: "to_arm=\(arm)", createdAt: now))
        }
        return try experiment(experimentID)
    }

    /// Restores `arm`, which a guardrail dropped: a new weight version gives it back the share
    /// the file gives it (the other arms scaled to make room), and its guardrails count again
    /// from the decisions made after this.
    public func restore(_ experimentID: String, arm: String, actor: String, reason: String) async throws -> LiveExperiment {
        let live = try experiment(experimentID)
        guard live.experiment.arms.contains(where: { $0.name == arm }) else {
            throw ArmoryError(.notFound, .unknownArm, "experiment '\(experimentID)' has no arm '\(arm)'; its arms are "
                + live.experiment.arms.map(\.name).joined(separator: ", "))
        }
        guard live.weights.droppedArms.contains(arm) else {
            let dropped = live.weights.droppedArms
            throw ArmoryError(.conflict, .notDropped, "arm '\(arm)' of experiment '\(experimentID)' was not dropped by a guardrail; "
                + (dropped.isEmpty ? "no arm is dropped" : "dropped: \(dropped.joined(separator: ", "))"))
        }
        let now = Date()
        let arms = live.experiment.arms.map(\.name)
        let dropped = live.weights.droppedArms.filter { $0 != arm }
        let share = live.experiment.arms.first { $0.name == arm }?.weight ?? 0
        let restoredShare = share > 0 ? share : 1 / Double(arms.count)
        let current = live.effectiveWeights
        let others = current.reduce(0, +)
        let weights = zip(arms, current).map { name, weight in
            name == arm ? restoredShare : others > 0 ? weight / others * (1 - restoredShare) : 0
        }
        let stored = try await store.appendWeightVersion(WeightVersion(
            experimentID: experimentID, version: 0, configVersion: live.config.version, arms: arms,
            weights: WeightVersion.normalized(weights, arms: arms, fallback: live.experiment.fallback), droppedArms: dropped,
            reason: .restore, actor: actor, note: reason, createdAt: now))
        registry.publish(stored)
        _ = try await store.appendAuditEntry(NewAuditEntry(
            experimentID: experimentID, actor: actor, action: "restore", reason: reason, detail: "arm=\(arm) new_version=\(stored.version)",
            createdAt: now))
        notifier.send(Notice(kind: .weightsChanged, experiment: experimentID, time: now, actor: actor, summary: reason, weights: stored))
        return try experiment(experimentID)
    }

    /// Pauses `experimentID`: every unit gets the fallback arm and weights are frozen.
    public func pause(_ experimentID: String, actor: String, reason: String) async throws -> LiveExperiment {
        try await changeStatus(experimentID, to: .paused, action: "pause", actor: actor, reason: reason)
    }

    /// Resumes `experimentID`: serving by the weights again (also ends a pin to one arm).
    public func resume(_ experimentID: String, actor: String, reason: String) async throws -> LiveExperiment {
        try await changeStatus(experimentID, to: .running, action: "resume", actor: actor, reason: reason)
    }

    /// Reloads the experiment files (and any new module files), records the reload in the audit
    /// log, and returns what was loaded and refused.
    public func reload(actor: String, reason: String) async throws -> ReloadReport {
        let report = try await registry.reload(actor: actor)
        _ = try await store.appendAuditEntry(NewAuditEntry(
            experimentID: nil, actor: actor, action: "reload", reason: reason,
            detail: "loaded=\(report.loaded.count) new_versions=\(report.loaded.filter(\.isNewVersion).map(\.id)) "
                + "refused=\(report.refused.map(\.file)) removed=\(report.removed)", createdAt: Date()))
        return report
    }

    private func changeStatus(
        _ experimentID: String, to status: ExperimentStatus, action: String, actor: String, reason: String
    ) async throws -> LiveExperiment {
        _ = try experiment(experimentID)
        let now = Date()
        registry.publish(try await store.appendStatusChange(NewStatusChange(
            experimentID: experimentID, status: status, actor: actor, reason: reason, createdAt: now)))
        _ = try await store.appendAuditEntry(NewAuditEntry(
            experimentID: experimentID, actor: actor, action: action, reason: reason, createdAt: now))
        notifier.send(Notice(kind: .statusChanged, experiment: experimentID, time: now, actor: actor, summary: reason, status: status.rawValue))
        return try experiment(experimentID)
    }

    private func experiment(_ id: String) throws -> LiveExperiment {
        guard let live = registry.experiment(id) else { throw ArmoryError.unknownExperiment(id) }
        return live
    }
}
