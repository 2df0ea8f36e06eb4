import ArmoryCore
import ArmoryKit
import ArmoryStorage
import Foundation
import Logging
import ServiceLifecycle
import NIOConcurrencyHelpers

/// The experiments the server serves: loaded from the YAML files at start and on reload, kept
/// in step with the store (weights and status changes made by other processes) by polling.
///
/// Requests read ``experiment(_:)`` — one lock, no I/O. Loads and refreshes run one at a time
/// on the registry's own task (``run()``); ``reload(actor:)`` hands it a request and waits.
public final class ExperimentRegistry: Service, Sendable {
    private struct State {
        var experiments: [String: LiveExperiment] = [:]
        /// Which experiment each file declared when it last loaded.
        var fileOwners: [String: String] = [:]
        var isLoaded = false
        var loadWaiters: [CheckedContinuation<Void, any Error>] = []
        var isStopped = false
        var firstReport: ReloadReport?
    }

    private enum Command {
        case reload(actor: String, CheckedContinuation<ReloadReport, any Error>)
        case refresh
    }

    let directory: String
    let store: any StateStore
    let modules: AlgorithmModules
    let failures: ArmFailureCounts
    let isolation: ModuleIsolation
    let refreshInterval: Duration
    /// Where model-serving arms find their models (`nil`: such arms answer through the fallback).
    let models: ModelRegistry?
    let logger: Logger
    private let setUp: @Sendable () async throws -> Void
    private let state = NIOLockedValueBox(State())
    private let commands: AsyncStream<Command>
    private let commandSink: AsyncStream<Command>.Continuation

    /// A registry of the experiment files in `directory`, kept in `store`; arms are made from
    /// `modules`, which a reload asks for new module files first. Other processes' changes are
    /// picked up every `refreshInterval`. `setUp` runs first (with the store's connection pool
    /// running), e.g. to seed the demo catalog.
    public init(
        directory: String, store: any StateStore, modules: AlgorithmModules, failures: ArmFailureCounts,
        isolation: ModuleIsolation = .shared, refreshInterval: Duration = .seconds(2), models: ModelRegistry? = nil,
        logger: Logger = Logger(label: "armory.experiments"),
        setUp: @escaping @Sendable () async throws -> Void = {}
    ) {
        self.setUp = setUp
        self.directory = directory
        self.store = store
        self.modules = modules
        self.failures = failures
        self.isolation = isolation
        self.refreshInterval = refreshInterval
        self.models = models
        self.logger = logger
        (commands, commandSink) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
    }

    // MARK: Reading

    /// The experiment `id` as served now, or `nil`.
    public func experiment(_ id: String) -> LiveExperiment? {
        state.withLockedValue { $0.experiments[id] }
    }

    /// Every experiment served, by id.
    public var experiments: [LiveExperiment] {
        state.withLockedValue { $0.experiments.values.sorted { $0.id < $1.id } }
    }

    /// What the first load found, once it has finished.
    public var firstReport: ReloadReport? {
        state.withLockedValue { $0.firstReport }
    }

    /// Returns once the first load has finished; throws when the registry stopped before it did.
    public func waitUntilLoaded() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let ready: Result<Void, any Error>? = state.withLockedValue { state in
                if state.isLoaded { return .success(()) }
                if state.isStopped { return .failure(Self.stoppedError) }
                state.loadWaiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }

    // MARK: Changing

    /// Loads module files built since the last look, then reads the experiment files again: a
    /// changed file becomes a new config version, a file with problems is refused (its
    /// experiment keeps serving the previous version), and an experiment whose file is gone
    /// stops serving.
    public func reload(actor: String) async throws -> ReloadReport {
        try await withCheckedThrowingContinuation { continuation in
            if case .terminated = commandSink.yield(.reload(actor: actor, continuation)) {
                continuation.resume(throwing: ArmoryError.unavailable(.shuttingDown, "the server is shutting down"))
            }
        }
    }

    /// Serves `weights` (just appended by this process) when they are newer than those served.
    public func publish(_ weights: WeightVersion) {
        state.withLockedValue { state in
            guard let live = state.experiments[weights.experimentID], weights.version > live.weights.version else { return }
            state.experiments[weights.experimentID] = live.with(weights: weights)
        }
    }

    /// Serves the status `change` (just appended by this process) when it is newer.
    public func publish(_ change: StatusChange) {
        state.withLockedValue { state in
            guard let live = state.experiments[change.experimentID], change.version > (live.statusChange?.version ?? 0) else { return }
            state.experiments[change.experimentID] = live.with(statusChange: change)
        }
    }

    /// Serves `recommender` (the same arms with other model versions) for `id`, unless its
    /// config version changed meanwhile; whether it did.
    func publish(_ recommender: ArmRecommender, for id: String, configVersion: Int) -> Bool {
        state.withLockedValue { state in
            guard let current = state.experiments[id], current.config.version == configVersion else { return false }
            state.experiments[id] = current.with(recommender: recommender)
            return true
        }
    }

    // MARK: Running

    /// Loads the files (throwing when that fails, which stops the server with the reason), then
    /// serves reloads and refreshes until graceful shutdown. A shutdown during the set-up (a
    /// long demo seed) stops it at once.
    public func run() async throws {
        defer { stopped() }
        do {
            try await cancelWhenGracefulShutdown { try await self.setUp() }
        } catch is CancellationError where Task.isShuttingDownGracefully {
            return
        }
        let report = try await load(actor: "config")
        log(report, prefix: "loaded experiments")
        state.withLockedValue { state in
            state.isLoaded = true
            state.firstReport = report
            for waiter in state.loadWaiters { waiter.resume() }
            state.loadWaiters = []
        }
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { [commandSink, refreshInterval] in
                    while (try? await Task.sleep(for: refreshInterval)) != nil {
                        commandSink.yield(.refresh)
                    }
                }
                for await command in commands {
                    await perform(command)
                }
                group.cancelAll()
            }
        } onGracefulShutdown: { [commandSink] in
            commandSink.finish()
        }
    }

    private func perform(_ command: Command) async {
        switch command {
        case .reload(let actor, let continuation):
            do {
                let before = Set(modules.registry.descriptors.map(\.name))
                let modulesFound = modules.reload(logger: logger)
                var report = try await load(actor: actor)
                report.newAlgorithms = modules.registry.descriptors.map(\.name).filter { !before.contains($0) }.sorted()
                report.refusedModules = modulesFound.refused
                log(report, prefix: "reloaded experiments")
                continuation.resume(returning: report)
            } catch {
                logger.error("reload failed; the previous experiments keep serving", metadata: ["error": "\(error)"])
                continuation.resume(throwing: error)
            }
        case .refresh:
            do {
                try await refresh()
            } catch is CancellationError {
                // Shutting down: nothing failed, and nothing will retry.
            } catch {
                logger.warning("could not refresh experiments from the state store; retrying", metadata: ["error": "\(error)"])
            }
        }
    }

    private func stopped() {
        commandSink.finish()
        let waiters = state.withLockedValue { state in
            state.isStopped = true
            defer { state.loadWaiters = [] }
            return state.loadWaiters
        }
        for waiter in waiters { waiter.resume(throwing: Self.stoppedError) }
    }

    private static let stoppedError = ArmoryError.unavailable(.shuttingDown, "the experiment registry stopped")

    private func log(_ report: ReloadReport, prefix: String) {
        logger.info("\(prefix)", metadata: [
            "serving": "\(report.loaded.map { "\($0.id)@v\($0.configVersion)" }.joined(separator: ", "))",
            "refused": "\(report.refused.count)", "removed": "\(report.removed.joined(separator: ", "))",
        ])
        for refusal in report.refused {
            logger.warning("refused experiment file", metadata: [
                "file": "\(refusal.file)", "problems": "\(refusal.problems.joined(separator: "; "))",
                "kept_serving": "\(refusal.keptServing ?? "-")",
            ])
        }
    }

    // MARK: Internals used by loading and refreshing

    var snapshot: (experiments: [String: LiveExperiment], fileOwners: [String: String]) {
        state.withLockedValue { ($0.experiments, $0.fileOwners) }
    }

    func replace(experiments: [String: LiveExperiment], fileOwners: [String: String]) {
        state.withLockedValue { state in
            var merged = experiments
            // Weights or a status published while the load ran are kept when newer.
            for (id, live) in merged {
                guard let current = state.experiments[id], current.config.version == live.config.version else { continue }
                var updated = live
                if current.weights.version > updated.weights.version { updated = updated.with(weights: current.weights) }
                if let change = current.statusChange, change.version > (updated.statusChange?.version ?? 0) {
                    updated = updated.with(statusChange: change)
                }
                merged[id] = updated
            }
            state.experiments = merged
            state.fileOwners = fileOwners
        }
    }
}
