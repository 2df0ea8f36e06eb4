import ArmoryCore
import ArmoryServer
import ArmoryStorage
import Foundation
import Synchronization
import Testing

/// The worker's safety step over real stores (SQLite): a breach drops an arm with its evidence in
/// the audit log, alerts once per phase, pauses when told to; a person restores the arm and its
/// guardrails count again from there; a broken split pauses an experiment that asks for it.
@Suite("Guardrails and the sample-ratio check act through the weight updater", .serialized)
struct GuardrailEnforcementTests {
    /// Keeps every notice, as a webhook receiver would.
    final class RecordingNotifier: Notifier {
        let notices = Mutex<[Notice]>([])
        func send(_ notice: Notice) { notices.withLock { $0.append(notice) } }
        var kinds: [Notice.Kind] { notices.withLock { $0.map(\.kind) } }
    }

    static let guarded = """
        id: guarded
        objective: ctr
        policy: thompson
        fallback: popular
        arms:
          - { name: popular, algorithm: popularity, weight: 0.5 }
          - { name: personal, algorithm: history, weight: 0.5 }
        bandit:
          update_every: 1s
          burn_in: { min_trials_per_arm: 100000, min_duration: 1s }
        guardrails:
          - { metric: error_rate, tolerance: 0.05, action: drop_arm, min_trials: 50 }
          - { metric: ctr, tolerance: 10%, action: alert, min_trials: 50 }
        """

    /// `count` decisions of `arm` made with weight `version`: the first `clicks` clicked, the
    /// first `errors` answered by the fallback because the module threw.
    static func decisions(_ experiment: String, _ arm: String, count: Int, clicks: Int = 0, errors: Int = 0, version: Int,
                          at start: Date) -> [Event] {
        (0..<count).flatMap { index -> [Event] in
            let id = "\(arm)-v\(version)-\(index)"
            let time = start.addingTimeInterval(1 + Double(index) / 1_000)
            var events = [Event(eventID: id, type: .impression, time: time, decisionID: id, experiment: experiment, arm: arm,
                                configVersion: 1, weightVersion: version, userID: "\(arm)-\(index)", moduleFailure: index < errors ? .error : nil)]
            if index < clicks {
                events.append(Event(eventID: id + "-c", type: .click, time: time, decisionID: id, experiment: experiment, arm: arm,
                                    configVersion: 1, weightVersion: version, decisionTime: time, userID: "\(arm)-\(index)", movieID: 1))
            }
            return events
        }
    }

    static func withUpdater(
        _ files: [String: String],
        _ body: @escaping @Sendable (ExperimentRegistry, any StateStore, SQLiteMetricsStore, WeightUpdater, RecordingNotifier) async throws -> Void
    ) async throws {
        try await WeightUpdaterTests.withRegistry(files) { registry, store in
            let folder = try SharedLibraryBuilder.temporaryDirectory("guardrail-metrics")
            defer { try? FileManager.default.removeItem(at: folder) }
            let metricsStore = try SQLiteMetricsStore(path: folder.appendingPathComponent("metrics.sqlite").path)
            try await metricsStore.prepare()
            let notifier = RecordingNotifier()
            let updater = WeightUpdater(registry: registry, store: store, metricsStore: metricsStore, lock: ProcessLeaderLock(),
                                        metrics: ServerMetrics(), notifier: notifier, logger: TestServer.quiet)
            try await body(registry, store, metricsStore, updater, notifier)
        }
    }

    @Test("a breach drops the arm with its evidence; an alert acts once; a restore counts again from there")
    func dropAlertRestore() async throws {
        try await Self.withUpdater(["guarded.yaml": Self.guarded]) { registry, store, metricsStore, updater, notifier in
            let live = try #require(registry.experiment("guarded"))
            try await metricsStore.insert(Self.decisions("guarded", "popular", count: 200, clicks: 40, version: 1, at: live.phaseStart)
                + Self.decisions("guarded", "personal", count: 200, clicks: 10, errors: 100, version: 1, at: live.phaseStart))
            let now = Date().addingTimeInterval(5)
            guard case .updated(let dropped)? = await updater.runCycle(now: now)["guarded"] else {
                Issue.record("expected the guardrail to drop an arm")
                return
            }
            #expect(dropped.reason == .guardrail && dropped.weights == [1, 0] && dropped.droppedArms == ["personal"] && dropped.actor == "worker")
            #expect(registry.experiment("guarded")?.weights.version == dropped.version, "served at once")
            let entries = try await store.auditEntries(experimentID: "guarded", limit: 10).filter { $0.action == "guardrail" }
            #expect(entries.count == 2, "the drop and the alert")
            let evidence = try entries.map { try APIJSON.responseDecoder.decode(GuardrailResult.self, from: Data($0.detail.utf8)) }
            let errors = try #require(evidence.first { $0.metric == .errorRate })
            #expect(errors.arm == "personal" && errors.reference == "popular" && errors.state == .breached && errors.action == .dropArm)
            #expect(errors.evidence?.armTrials == 200 && errors.evidence?.change == 0.5 && errors.evidence?.threshold == 0.05)
            #expect((errors.evidence?.intervalLow ?? 0) > 0.05)
            #expect(evidence.contains { $0.metric == .ctr && $0.action == .alert && $0.evidence?.isRelative == true })
            #expect(notifier.kinds.sorted { $0.rawValue < $1.rawValue } == [.guardrailBreached, .guardrailBreached, .weightsChanged])

            // The next cycle: the dropped arm is not checked, the alert does not repeat.
            _ = await updater.runCycle(now: now.addingTimeInterval(2))
            #expect(try await store.auditEntries(experimentID: "guarded", limit: 10).filter { $0.action == "guardrail" }.count == 2)
            let versions = try await store.weightVersions(of: "guarded")
            let results = ExperimentResults(live: try #require(registry.experiment("guarded")),
                                            aggregates: try await metricsStore.periodAggregates([ExperimentPhase(experiment: "guarded", since: live.phaseStart)]),
                                            versions: versions,
                                            assignments: try await metricsStore.firstAssignments([ExperimentPhase(experiment: "guarded", since: live.phaseStart)]))
            #expect(results.guardrails.map(\.state) == [.dropped, .dropped] && results.arms[1].isDropped && results.arms[1].weight == 0)

            // A person restores it: nothing counts against it until new decisions arrive.
            let control = ExperimentControl(registry: registry, store: store, notifier: notifier)
            let restored = try await control.restore("guarded", arm: "personal", actor: "ana", reason: "module fixed")
            #expect(restored.weights.reason == .restore && restored.weights.weights == [0.5, 0.5] && restored.weights.droppedArms.isEmpty)
            await #expect(throws: ArmoryError.self) { try await control.restore("guarded", arm: "personal", actor: "ana", reason: "again") }
            #expect(await updater.runCycle(now: now.addingTimeInterval(4))["guarded"].map { if case .updated = $0 { false } else { true } } == true)
            // It fails again: dropped again, on the new decisions alone.
            try await metricsStore.insert(Self.decisions("guarded", "popular", count: 100, version: restored.weights.version, at: live.phaseStart)
                + Self.decisions("guarded", "personal", count: 100, errors: 60, version: restored.weights.version, at: live.phaseStart))
            guard case .updated(let again)? = await updater.runCycle(now: now.addingTimeInterval(6))["guarded"] else {
                Issue.record("expected a second drop")
                return
            }
            #expect(again.reason == .guardrail && again.droppedArms == ["personal"])
        }
    }

    @Test("a pause guardrail pauses the experiment, once")
    func pause() async throws {
        let file = Self.guarded.replacingOccurrences(of: "action: drop_arm", with: "action: pause")
        try await Self.withUpdater(["guarded.yaml": file]) { registry, store, metricsStore, updater, notifier in
            let live = try #require(registry.experiment("guarded"))
            try await metricsStore.insert(Self.decisions("guarded", "popular", count: 200, clicks: 40, version: 1, at: live.phaseStart)
                + Self.decisions("guarded", "personal", count: 200, clicks: 40, errors: 100, version: 1, at: live.phaseStart))
            guard case .paused(let reason)? = await updater.runCycle(now: Date().addingTimeInterval(5))["guarded"] else {
                Issue.record("expected a pause")
                return
            }
            #expect(reason.contains("error_rate") && reason.contains("'personal'"))
            #expect(registry.experiment("guarded")?.serving == .paused)
            let change = try #require(try await store.statusChanges(of: "guarded").last)
            #expect(change.status == .paused && change.actor == "worker")
            #expect(notifier.kinds.contains(.statusChanged) && !notifier.kinds.contains(.weightsChanged))
            // A person resumes: the same evidence does not pause it again.
            _ = try await ExperimentControl(registry: registry, store: store).resume("guarded", actor: "ana", reason: "checked")
            _ = await updater.runCycle(now: Date().addingTimeInterval(8))
            #expect(registry.experiment("guarded")?.serving == .weighted)
        }
    }

    @Test("a fixed split that asks to pause on a sample-ratio mismatch is paused when its counts do not fit its weights")
    func mismatchPauses() async throws {
        let file = """
            id: split
            objective: ctr
            fallback: a
            arms:
              - { name: a, algorithm: popularity, weight: 0.5 }
              - { name: b, algorithm: history, weight: 0.5 }
            safety: { on_mismatch: pause }
            """
        try await Self.withUpdater(["split.yaml": file]) { registry, store, metricsStore, updater, notifier in
            let live = try #require(registry.experiment("split"))
            // 560 against 440 where 500 each were expected: chi-square 14.4, p = 0.000148 (scipy.stats.chi2.sf).
            try await metricsStore.insert(Self.decisions("split", "a", count: 560, version: 1, at: live.phaseStart)
                + Self.decisions("split", "b", count: 440, version: 1, at: live.phaseStart))
            guard case .paused(let reason)? = await updater.runCycle(now: Date().addingTimeInterval(5))["split"] else {
                Issue.record("expected a pause")
                return
            }
            #expect(reason.hasPrefix("mismatch:"))
            let entry = try #require(try await store.auditEntries(experimentID: "split", limit: 5).first { $0.action == "sample_ratio_mismatch" })
            let state = try APIJSON.responseDecoder.decode(SampleRatioState.self, from: Data(entry.detail.utf8))
            #expect(state.observed == [560, 440] && state.expected == [500, 500] && state.state == .mismatch)
            #expect(abs((state.pValue ?? 1) - 0.000148) < 0.000001)
            #expect(notifier.kinds.contains(.sampleRatioMismatch))
        }
    }
}
