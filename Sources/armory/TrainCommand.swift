import ArgumentParser
import ArmoryCore
import ArmoryServer
import Foundation

/// `armory train`: train a model version from the stored views and likes.
struct TrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model from the stored views and likes, score it offline and register it as a new version.",
        discussion: """
        Reads every view and like from the state store (as `armory serve` would find it), scores the trainer \
        on a time split (trained on all but the newest --test-fraction of events, beside popularity and \
        history), trains on everything, stores the artifact and records the version. With no trainer, lists \
        the trainers the loaded modules offer. --alias points an alias at the new version (audited).
        """
    )

    @Argument(help: "The trainer (`armory train` with none lists them).")
    var trainer: String?

    @Option(help: "The model's name (a new name starts at version 1).")
    var name: String?

    @Option(name: .customLong("param"), help: "A trainer parameter, name=value; repeatable or comma-separated.")
    var parameters: [String] = []

    @Option(help: "Point this alias (champion, challenger, …) at the new version.")
    var alias: String?

    @Option(help: "The share of the newest events held out for the offline figures (0 skips them).")
    var testFraction = 0.2

    @Option(help: "The cut-off of the offline figures (recall@k, NDCG@k, MAP@k).")
    var k = 10

    @Option(help: "Who is training, for the registry (default $USER).")
    var actor: String?

    @Option(help: "A note kept with the version.")
    var note = ""

    @Option(help: "Output: table or json.")
    var format: OutputFormat = .table

    @OptionGroup var stores: LocalStoreOptions

    func validate() throws {
        if trainer != nil, name == nil { throw ValidationError("--name is required: the model's name, e.g. --name movies-mf") }
        _ = try parseParameters(parameters, option: "--param")
        guard testFraction >= 0, testFraction < 1 else { throw ValidationError("--test-fraction must be from 0 up to (not including) 1") }
        guard (1...1_000).contains(k) else { throw ValidationError("--k must be from 1 to 1000") }
    }

    func run() async throws {
        guard let trainer else {
            let (registry, _) = stores.modules.load()
            var table = TextTable(header: ["TRAINER", "SERVED BY", "VERSION", "PARAMETERS", "SUMMARY"], leftAligned: [0, 1, 2, 3, 4])
            for entry in registry.trainers {
                let descriptor = entry.descriptor
                table.rows.append([descriptor.name, descriptor.servedBy, descriptor.version,
                           descriptor.parameters.map { "\($0.name)=\($0.defaultValue?.description ?? "?")" }.joined(separator: " "), descriptor.summary])
            }
            print(registry.trainers.isEmpty ? "no loaded module offers a trainer" : table.rendered)
            return
        }
        guard let name else { return }
        let request = ModelTraining.Request(
            trainer: trainer, name: name, parameters: try parseParameters(parameters, option: "--param"),
            testFraction: testFraction > 0 ? testFraction : nil, k: k, alias: alias,
            actor: actor ?? ProcessInfo.processInfo.environment["USER"] ?? "cli", note: note)
        let bar = FractionBar()
        let started = ContinuousClock.now
        let (version, move) = try await reportingLocalFailures {
            try await stores.withModels { store, models, algorithms in
                try await ModelTraining(store: store, models: models, algorithms: algorithms).run(request) { bar.update($0, $1) }
            }
        }
        let seconds = (ContinuousClock.now - started).timeInterval
        switch format {
        case .json:
            try printJSON(version)
        case .table:
            print("registered \(version.reference) (\(version.trainer) \(version.trainerVersion), artifact sha256:\(version.artifactDigest.prefix(12))…, "
                + "\(version.artifactBytes) bytes) in \(fixed(seconds, 1)) s")
            print("trained on \(version.training.users) users, \(version.training.movies) movies, \(version.training.views) views, "
                + "\(version.training.likes) likes from \(version.training.store)")
            if let evaluation = version.evaluation {
                print("offline, trained on the events before \(ISO8601DateFormatter().string(from: evaluation.cut)):")
                print(EvaluationTable.render(evaluation.scores))
            }
            if let move {
                print("alias \(move.alias) -> \(version.reference)" + (move.previousVersion.map { " (was \(name)@\($0))" } ?? ""))
            }
        }
    }
}
