import ArgumentParser
import ArmoryCore
import ArmoryServer
import Foundation

/// `armory models`: the model registry of a running server.
struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "Trained models: list them, show one's versions and aliases, move an alias.",
        subcommands: [ModelsListCommand.self, ModelsShowCommand.self, ModelsAliasCommand.self]
    )
}

struct ModelsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the models with their versions and aliases.")

    @OptionGroup var server: ServerConnectionOptions
    @Option(help: "Output: table or json.") var format: OutputFormat = .table

    func run() async throws {
        try await reportingFailures {
            let data = try await server.client.get("/v1/models")
            guard format == .table else { return try printPrettyJSON(data) }
            let list = try APIJSON.responseDecoder.decode(ModelList.self, from: data)
            var table = TextTable(header: ["MODEL", "VERSIONS", "LATEST", "ALIASES", "LATEST TRAINED"], leftAligned: [0, 3, 4])
            for model in list.models {
                table.rows.append([model.name, String(model.versions), String(model.latestVersion),
                                   model.aliases.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "),
                                   ISO8601DateFormatter().string(from: model.latestCreatedAt)])
            }
            print(list.models.isEmpty ? "no models yet: `armory train als --name NAME` trains one" : table.rendered)
        }
    }
}

struct ModelsShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a model's versions, their offline figures and its aliases.")

    @Argument(help: "The model's name.") var name: String
    @OptionGroup var server: ServerConnectionOptions
    @Option(help: "Output: table or json.") var format: OutputFormat = .table

    func run() async throws {
        try await reportingFailures {
            let data = try await server.client.get("/v1/models/\(name)")
            guard format == .table else { return try printPrettyJSON(data) }
            let detail = try APIJSON.responseDecoder.decode(ModelDetail.self, from: data)
            var table = TextTable(header: ["VERSION", "TRAINER", "PARAMETERS", "USERS", "EVENTS", "RECALL@K", "BY", "CREATED"], leftAligned: [1, 2, 6, 7])
            for version in detail.versions {
                let recall = version.evaluation?.scores.first.map { "\(fixed($0.recall.value, 4)) (k=\($0.k))" } ?? "-"
                table.rows.append([String(version.version), "\(version.trainer) \(version.trainerVersion)",
                                   version.parameters.keys.sorted().map { "\($0)=\(version.parameters[$0]!)" }.joined(separator: " "),
                                   String(version.training.users), String(version.training.views + version.training.likes), recall,
                                   version.actor, ISO8601DateFormatter().string(from: version.createdAt)])
            }
            print(table.rendered)
            print("aliases: " + (detail.aliases.isEmpty ? "none" : detail.aliases.sorted { $0.key < $1.key }.map { "\($0.key) -> \(name)@\($0.value)" }.joined(separator: ", ")))
            for move in detail.aliasMoves {
                print("  \(ISO8601DateFormatter().string(from: move.createdAt)) \(move.alias): \(move.previousVersion.map(String.init) ?? "none") -> \(move.version) by \(move.actor): \(move.reason)")
            }
        }
    }
}

struct ModelsAliasCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alias", abstract: "Point a model's alias at a version (audited; move it back to undo).",
        discussion: "Arms that name NAME@ALIAS serve the new version from the server's next refresh, without a restart.")

    @Argument(help: "The model's name.") var name: String
    @Argument(help: "The alias (champion, challenger, …).") var alias: String
    @Argument(help: "The version it points at from now on.") var version: Int
    @Option(help: "Why, for the audit log (required).") var reason: String
    @Option(help: "Who (default $USER).") var actor: String?
    @OptionGroup var server: ServerConnectionOptions

    func run() async throws {
        try await reportingFailures {
            let data = try await server.client.post("/v1/models/\(name)/aliases/\(alias)", json: [
                "to_version": version, "reason": reason, "actor": actor ?? ProcessInfo.processInfo.environment["USER"] ?? "cli",
            ])
            let move = try APIJSON.responseDecoder.decode(AliasMove.self, from: data)
            print("\(name)@\(move.alias) -> \(move.version)" + (move.previousVersion.map { " (was \($0))" } ?? " (new alias)"))
        }
    }
}
