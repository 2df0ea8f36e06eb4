import ArmoryCore
import ArmoryKit
import ArmoryStorage
import Foundation

extension ExperimentRegistry {
    /// Reads and validates every file, records new config versions and weights in the store,
    /// and swaps the served experiments in one step. A store failure throws before anything
    /// is swapped, so the previous experiments keep serving.
    func load(actor: String) async throws -> ReloadReport {
        let (sources, unreadable) = ExperimentFiles.read([directory])
        let registry = modules.registry
        let results = ExperimentValidator(algorithms: registry.descriptors).validate(sources)
        let (current, owners) = snapshot
        var next: [String: LiveExperiment] = [:]
        var nextOwners: [String: String] = [:]
        var report = ReloadReport()
        func refuse(_ file: String, _ problems: [String]) {
            // The experiment this file served before keeps serving, unless another file now declares it.
            var kept: String?
            if let id = owners[file], let previous = current[id], next[id] == nil {
                next[id] = previous
                nextOwners[file] = id
                kept = id
            }
            report.refused.append(.init(file: file, problems: problems, keptServing: kept))
        }
        for (source, result) in zip(sources, results) {
            guard let experiment = result.experiment else {
                refuse(result.path, result.problems.map(\.description))
                continue
            }
            do {
                let (live, isNew) = try await makeLive(experiment, registry: registry, yaml: String(decoding: source.contents, as: UTF8.self),
                                                       file: result.path, actor: actor)
                next[experiment.id] = live
                nextOwners[result.path] = experiment.id
                report.loaded.append(.init(id: experiment.id, configVersion: live.config.version, isNewVersion: isNew, file: result.path))
            } catch let error as ConfigurationError {
                refuse(result.path, ["\(result.path): \(error.description)"])
            }
        }
        for problem in unreadable where problem.path != directory {
            refuse(problem.path, [problem.description])
        }
        try await serveLastStoredVersions(refused: &report.refused, next: &next, nextOwners: &nextOwners, registry: registry, actor: actor)
        if let problem = unreadable.first(where: { $0.path == directory }), !problem.message.contains("holds no") {
            // The folder itself is missing: keep everything rather than stop every experiment.
            report.refused.append(.init(file: directory, problems: [problem.description], keptServing: nil))
            for (file, id) in owners where next[id] == nil {
                next[id] = current[id]
                nextOwners[file] = id
            }
        }
        report.removed = current.keys.filter { next[$0] == nil }.sorted()
        report.loaded.sort { $0.id < $1.id }
        replace(experiments: next, fileOwners: nextOwners)
        return report
    }

    /// A refused file that served nothing in this process (it was broken when the server
    /// started) serves the last version the state store recorded from it, as a reload keeps the
    /// previous version of a file that breaks while running.
    private func serveLastStoredVersions(
        refused: inout [ReloadReport.Refused], next: inout [String: LiveExperiment], nextOwners: inout [String: String],
        registry: AlgorithmRegistry, actor: String
    ) async throws {
        let files = Set(refused.filter { $0.keptServing == nil && $0.file != directory }.map(\.file))
        guard !files.isEmpty else { return }
        var stored: [String: ConfigVersion] = [:]
        for id in try await store.historyHeads().keys.sorted() where next[id] == nil {
            guard let last = try await store.configVersions(of: id).last, files.contains(last.sourceFile) else { continue }
            stored[last.sourceFile] = last
        }
        for index in refused.indices {
            guard refused[index].keptServing == nil, let config = stored[refused[index].file], next[config.experimentID] == nil else { continue }
            let live: LiveExperiment
            do {
                (live, _) = try await makeLive(config.experiment, registry: registry, yaml: config.yaml, file: config.sourceFile, actor: actor)
            } catch is ConfigurationError {
                continue  // its algorithms are gone: nothing to serve
            }
            next[config.experimentID] = live
            nextOwners[config.sourceFile] = config.experimentID
            refused[index].keptServing = config.experimentID
        }
    }

    /// The serving state of `experiment`, appending a config version when its text is new and
    /// weights when its arms or weights changed.
    private func makeLive(
        _ experiment: Experiment, registry: AlgorithmRegistry, yaml: String, file: String, actor: String
    ) async throws -> (LiveExperiment, Bool) {
        let armModels = await ArmModels.load(for: experiment, algorithms: registry, models: models)
        let recommender = try ArmRecommender(experiment: experiment, registry: registry, failures: failures, isolation: isolation, models: armModels)
        logUnavailableModels(recommender, experiment: experiment.id)
        let now = Date()
        let proposed = NewConfigVersion(experiment: experiment, yaml: yaml, sourceFile: file, actor: actor, createdAt: now)
        var configs = try await store.configVersions(of: experiment.id)
        let isNew = configs.last?.sha256 != proposed.sha256
        if isNew {
            configs.append(try await store.appendConfigVersion(proposed))
        }
        let config = configs[configs.count - 1]
        var weights = try await store.weightVersions(of: experiment.id)
        let phaseConfig = weights.last { $0.reason == .initial }.flatMap { initial in
            configs.first { $0.version == initial.configVersion }?.experiment
        }
        if let phaseConfig, Self.sameArms(phaseConfig, experiment) {
            // Same arms: the phase goes on. Weights edited in the file take effect as a manual change.
            let previousFile = configs.count >= 2 ? configs[configs.count - 2].experiment : phaseConfig
            if isNew, previousFile.weights != experiment.weights, let last = weights.last {
                // Arms a guardrail dropped stay dropped: only a person's restore brings them back.
                let arms = experiment.arms.map(\.name)
                let edited = zip(arms, experiment.weights).map { last.droppedArms.contains($0) ? 0 : $1 }
                weights.append(try await store.appendWeightVersion(WeightVersion(
                    experimentID: experiment.id, version: last.version + 1, configVersion: config.version, arms: arms,
                    weights: WeightVersion.normalized(edited, arms: arms, fallback: experiment.fallback), droppedArms: last.droppedArms,
                    reason: .manual, actor: actor, note: "weights changed in \(file)", createdAt: now
                )))
            }
        } else {
            // New arms (or a new experiment) begin a new phase with the file's weights.
            weights.append(try await store.appendWeightVersion(.initial(for: experiment, configVersion: config.version, at: now)))
        }
        let phaseStart = weights.last { $0.reason == .initial }?.createdAt ?? now
        let statusChange = try await store.statusChanges(of: experiment.id).last
        // The file speaks for the status from the first of the trailing config versions that declare it.
        var fileStatusSince = config.createdAt
        for version in configs.reversed() {
            guard version.experiment.status == experiment.status else { break }
            fileStatusSince = version.createdAt
        }
        let live = LiveExperiment(
            experiment: experiment, config: config, recommender: recommender, weights: weights[weights.count - 1], phaseStart: phaseStart,
            serving: LiveExperiment.serving(experiment, fileStatusSince: fileStatusSince, statusChange: statusChange),
            statusChange: statusChange, fileStatusSince: fileStatusSince
        )
        return (live, isNew)
    }

    /// Whether two versions of an experiment measure the same thing: the same arms (names,
    /// algorithms, parameters, in order) and the same objective. Weights, coverage and
    /// descriptions may change within a phase.
    static func sameArms(_ first: Experiment, _ second: Experiment) -> Bool {
        first.objective == second.objective
            && first.arms.map { [$0.name, $0.algorithm] } == second.arms.map { [$0.name, $0.algorithm] }
            && first.arms.map(\.parameters) == second.arms.map(\.parameters)
    }

    /// Picks up weight versions and status changes that other processes appended, and model
    /// aliases that moved.
    func refresh() async throws {
        let heads = try await store.historyHeads()
        await refreshModels()
        for live in snapshot.experiments.values {
            guard let head = heads[live.id] else { continue }
            if head.weightVersion > live.weights.version, let newest = try await store.weightVersions(of: live.id).last {
                publish(newest)
                logger.info("new weights", metadata: ["experiment": "\(live.id)", "version": "\(newest.version)",
                                                      "weights": "\(newest.weights.map { String(format: "%.3f", $0) })"])
            }
            if head.statusVersion > (live.statusChange?.version ?? 0), let newest = try await store.statusChanges(of: live.id).last {
                publish(newest)
                logger.info("new status", metadata: ["experiment": "\(live.id)", "status": "\(newest.status.rawValue)",
                                                     "pinned_arm": "\(newest.pinnedArm ?? "-")"])
            }
        }
    }
}

extension ExperimentRegistry {
    /// Serves again, with the versions their references name now, every experiment whose
    /// model-serving arms' references moved (an alias moved) or whose model could not be loaded.
    func refreshModels() async {
        guard let models else { return }
        let registry = modules.registry
        for live in snapshot.experiments.values where !live.recommender.models.isEmpty {
            let current = await ArmModels.currentVersions(for: live.experiment, algorithms: registry, models: models)
            let changed = current.contains { arm, version in live.recommender.models[arm]?.needsReload(current: version) ?? true }
            guard changed else { continue }
            let armModels = await ArmModels.load(for: live.experiment, algorithms: registry, models: models)
            guard let recommender = try? ArmRecommender(experiment: live.experiment, registry: registry, failures: failures,
                                                        isolation: isolation, models: armModels) else { continue }
            guard publish(recommender, for: live.id, configVersion: live.config.version) else { continue }
            logUnavailableModels(recommender, experiment: live.id)
            let before = live.recommender.models.mapValues(\.servedVersion)
            guard armModels.contains(where: { $0.value.servedVersion != nil && before[$0.key] != $0.value.servedVersion }) else { continue }
            logger.info("new model versions", metadata: [
                "experiment": "\(live.id)",
                "models": "\(armModels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.servedVersion ?? "unavailable")" })",
            ])
        }
    }

    func logUnavailableModels(_ recommender: ArmRecommender, experiment: String) {
        for (arm, model) in recommender.models.sorted(by: { $0.key < $1.key }) where model.model == nil {
            logger.warning("model unavailable; the arm answers through the fallback arm", metadata: [
                "experiment": "\(experiment)", "arm": "\(arm)", "model": "\(model.reference)", "problem": "\(model.problem ?? "")",
            ])
        }
    }
}
