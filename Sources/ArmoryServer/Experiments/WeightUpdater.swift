import ArmoryCore
import ArmoryStorage
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Moves traffic and keeps it safe: for each running experiment due a cycle (every
/// `update_every`, every 5 minutes for a fixed split), reads every arm's totals
/// per weight version from the metrics store (one query for all of them), runs the
/// ``SafetyCheck``, then (unless it acted) the policy, appends the new ``WeightVersion`` to the
/// state store and serves it. Runs only while holding the
/// ``LeaderLock``, so one process updates at a time. When the metrics store fails, weights stay
/// as they are, the failure is logged (once until it recovers) and counted, and the next cycle
/// tries again.
public final class WeightUpdater: Service, Sendable {
    /// What one cycle did for one experiment.
    public enum Outcome: Sendable, Hashable {
        /// New weights, appended and served.
        case updated(WeightVersion)
        /// No new weights yet, and why.
        case waiting(String)
        /// Another process changed the experiment since this one last looked; next cycle.
        case skipped
        /// A guardrail or the sample-ratio check paused the experiment, and why.
        case paused(String)
    }

    private let registry: ExperimentRegistry
    private let store: any StateStore
    private let metricsStore: any MetricsStore
    private let lock: any LeaderLock
    private let interval: Duration
    private let metrics: ServerMetrics
    private let notifier: any Notifier
    private let history: PhaseWeightVersions
    private let safety: SafetyCheck
    private let logger: Logger
    /// When each experiment last had its totals read, so one in burn-in is read once per
    /// `update_every`, not every cycle; and whether the last cycle failed (to log once).
    private let state = Mutex<(lastRead: [String: Date], isFailing: Bool)>(([:], false))

    /// An updater of `registry`'s experiments.
    public init(
        registry: ExperimentRegistry, store: any StateStore, metricsStore: any MetricsStore, lock: any LeaderLock,
        interval: Duration = .seconds(1), metrics: ServerMetrics, notifier: any Notifier = NoNotifier(),
        logger: Logger = Logger(label: "armory.updater")
    ) {
        self.notifier = notifier
        history = PhaseWeightVersions(store: store)
        safety = SafetyCheck(registry: registry, store: store, notifier: notifier, metrics: metrics, logger: logger)
        self.registry = registry
        self.store = store
        self.metricsStore = metricsStore
        self.lock = lock
        self.interval = interval
        self.metrics = metrics
        self.logger = logger
    }

    public func run() async throws {
        try await registry.waitUntilLoaded()
        // Shutdown cancels the loop (nothing in a cycle needs finishing); that is not a failure.
        try? await cancelWhenGracefulShutdown {
            try await self.lock.whileLeading {
                self.metrics.set("armory_updater_leader", to: 1)
                defer { self.metrics.set("armory_updater_leader", to: 0) }
                while !Task.isCancelled {
                    _ = await self.runCycle(now: Date())
                    try await Task.sleep(for: self.interval)
                }
            }
        }
    }

    /// One cycle at `now`: the outcome for each experiment that was due, by id (empty when the
    /// metrics or state store failed).
    @discardableResult
    public func runCycle(now: Date) async -> [String: Outcome] {
        let due = registry.experiments.filter { live in
            guard live.isWatched else { return false }
            let every = live.experiment.checkEvery.timeInterval
            let lastRead = state.withLock { $0.lastRead[live.id] }
            let lastChange = live.weights.reason == .initial ? nil : live.weights.createdAt
            return [lastChange, lastRead].allSatisfy { $0.map { now.timeIntervalSince($0) >= every } ?? true }
        }
        guard !due.isEmpty else { return [:] }
        do {
            let heads = try await store.historyHeads()
            let phases = due.map { ExperimentPhase(experiment: $0.id, since: $0.phaseStart) }
            let aggregates = try await metricsStore.periodAggregates(phases)
            let assignments = try await metricsStore.firstAssignments(phases)
            var outcomes: [String: Outcome] = [:]
            for live in due {
                outcomes[live.id] = try await update(live, aggregates: aggregates, assignments: assignments, head: heads[live.id], now: now)
                state.withLock { $0.lastRead[live.id] = now }
            }
            recovered()
            metrics.increment("armory_updater_runs_total", [("outcome", "ok")])
            return outcomes
        } catch {
            metrics.increment("armory_updater_runs_total", [("outcome", "failed")])
            let isFirst = state.withLock { state in
                defer { state.isFailing = true }
                return !state.isFailing
            }
            if isFirst {
                logger.error("cannot update weights; they stay as they are and the next cycle tries again", metadata: [
                    "error": "\(error)", "experiments": "\(due.map(\.id).joined(separator: ","))",
                ])
            }
            return [:]
        }
    }

    private func recovered() {
        let wasFailing = state.withLock { state in
            defer { state.isFailing = false }
            return state.isFailing
        }
        if wasFailing { logger.info("weight updates are working again") }
    }

    private func update(
        _ live: LiveExperiment, aggregates: [ArmAggregate], assignments: [FirstAssignment], head: HistoryHead?, now: Date
    ) async throws -> Outcome {
        // Weights or a status appended by another process (a rollback through another replica)
        // win; this process waits until its registry has them.
        if let head, head.weightVersion != live.weights.version || head.statusVersion != (live.statusChange?.version ?? 0) {
            return .skipped
        }
        let versions = try await history.versions(of: live)
        let periods = WeightPeriods(experiment: live.experiment, aggregates: aggregates, versions: versions, assignments: assignments)
        switch try await safety.run(live, periods: periods, versions: versions, now: now) {
        case .dropped(let version)?:
            metrics.increment("armory_weight_updates_total", [("experiment", live.id), ("outcome", "guardrail")])
            return .updated(version)
        case .paused(let reason)?:
            return .paused(reason)
        case .skipped?:
            return .skipped
        case nil:
            break
        }
        guard let settings = live.experiment.bandit else { return .waiting("a fixed split: weights move only by guardrails and people") }
        let observations = live.experiment.observations(from: aggregates)
        let policy = ThompsonPolicy(settings: settings, objective: live.experiment.objective)
        var previous = live.weights
        previous.configVersion = live.config.version
        let posteriors = settings.rates == .periodWeighted ? periods.posteriors(prior: settings.prior) : nil
        switch policy.update(after: previous, observations: observations, posteriors: posteriors, startedAt: live.phaseStart, now: now,
                             seed: UInt64.random(in: .min ... .max), actor: "worker") {
        case .unchanged(let reason):
            metrics.increment("armory_weight_updates_total", [("experiment", live.id), ("outcome", "waiting")])
            logger.debug("no new weights yet", metadata: ["experiment": "\(live.id)", "reason": "\(reason)"])
            return .waiting(reason)
        case .updated(let proposed) where proposed.inputs == live.weights.inputs:
            // Nothing arrived since the weights in force were computed: the same inputs would
            // only make the same weights again, as a version that says nothing new.
            metrics.increment("armory_weight_updates_total", [("experiment", live.id), ("outcome", "unchanged")])
            return .waiting("no new data since weight version \(live.weights.version)")
        case .updated(let proposed):
            // Onto the version this cycle read only: a person's rollback or restore since then wins.
            guard let stored = try await store.appendWeightVersion(proposed, after: live.weights.version) else { return .skipped }
            registry.publish(stored)
            notifier.send(Notice(kind: .weightsChanged, experiment: live.id, time: now, actor: "worker",
                                 summary: "new weights (version \(stored.version))", weights: stored))
            metrics.increment("armory_weight_updates_total", [("experiment", live.id), ("outcome", "updated")])
            logger.info("new weights", metadata: [
                "experiment": "\(live.id)", "version": "\(stored.version)",
                "weights": "\(zip(stored.arms, stored.weights).map { "\($0)=\(String(format: "%.3f", $1))" }.joined(separator: " "))",
            ])
            return .updated(stored)
        }
    }
}
