import ArgumentParser
import ArmoryCore
import ArmoryServer
import Foundation

/// `armory weights ID`: an experiment's weight versions, newest first.
struct WeightsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weights",
        abstract: "An experiment's weight versions, newest first: why each exists, who made it, and the weights.",
        discussion: "Roll back to one with `armory rollback ID --to-version N`."
    )

    @Argument(help: "The experiment's id.")
    var experiment: String

    @Option(help: "How many versions, newest first (1 to 1000).")
    var limit = 20

    @Option(help: "Output format: table or json.")
    var format: OutputFormat = .table

    @OptionGroup var connection: ServerConnectionOptions

    func run() async throws {
        try await reportingFailures {
            let data = try await connection.client.get("/v1/experiments/\(experiment.pathEscaped)/weights?limit=\(limit)")
            if format == .json { return try printPrettyJSON(data) }
            let history = try APIJSON.responseDecoder.decode(WeightHistory.self, from: data)
            var table = TextTable(header: ["version", "reason", "actor", "created", "weights", "note"], leftAligned: [1, 2, 3, 4, 5])
            for version in history.versions {
                table.rows.append([
                    "v\(version.version)" + (version.version == history.current ? "*" : ""), version.reason.rawValue, version.actor,
                    version.createdAt.formatted(.iso8601), zip(version.arms, version.weights).map { "\($0) \(fixed($1, 3))" }.joined(separator: ", "),
                    version.note,
                ])
            }
            print(table.rendered)
            print("* in force; \(history.versions.count) of \(history.total) versions shown")
        }
    }
}

/// `armory audit [ID]`: who changed what, when and why.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "The audit log of one experiment, newest first: who changed it, how and why."
    )

    @Argument(help: "The experiment's id.")
    var experiment: String

    @Option(help: "How many entries, newest first (1 to 1000).")
    var limit = 20

    @Option(help: "Output format: table or json.")
    var format: OutputFormat = .table

    @OptionGroup var connection: ServerConnectionOptions

    func run() async throws {
        try await reportingFailures {
            let data = try await connection.client.get("/v1/experiments/\(experiment.pathEscaped)/audit?limit=\(limit)")
            if format == .json { return try printPrettyJSON(data) }
            let log = try APIJSON.responseDecoder.decode(AuditLog.self, from: data)
            var table = TextTable(header: ["when", "actor", "action", "reason", "detail"], leftAligned: [0, 1, 2, 3, 4])
            for entry in log.entries {
                // A guardrail's or a sample-ratio check's evidence is JSON: whole in --format json.
                let detail = entry.detail.hasPrefix("{") ? "(evidence: --format json)" : entry.detail
                table.rows.append([entry.createdAt.formatted(.iso8601), entry.actor, entry.action, entry.reason, detail])
            }
            print(table.rendered)
        }
    }
}

/// `armory reload --reason TEXT`: read the experiment files again.
struct ReloadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Read the experiment files (and any new algorithm modules) again on a running server (needs the admin token).",
        discussion: """
        A changed file becomes a new config version; a file with problems is refused with every problem located \
        while its previous version keeps serving; a deleted file stops its experiment. The same as `kill -HUP`.
        """
    )

    @Option(help: "Why, for the audit log (required).")
    var reason: String

    @Option(help: "Who, for the audit log (default $USER).")
    var actor: String?

    @OptionGroup var connection: ServerConnectionOptions

    func run() async throws {
        try await reportingFailures {
            let body: [String: Any] = ["reason": reason, "actor": actor ?? ProcessInfo.processInfo.environment["USER"] ?? "cli"]
            let report = try APIJSON.responseDecoder.decode(ReloadReport.self, from: try await connection.client.post("/v1/admin/reload", json: body))
            for loaded in report.loaded {
                print("\(loaded.id): v\(loaded.configVersion)\(loaded.isNewVersion ? " (new)" : "") from \(loaded.file)")
            }
            for refused in report.refused {
                print("refused \(refused.file)\(refused.keptServing.map { " (still serving the previous version of \($0))" } ?? ""):")
                for problem in refused.problems { print("  \(problem)") }
            }
            for removed in report.removed { print("\(removed): stopped (its file is gone)") }
            if !report.newAlgorithms.isEmpty { print("new algorithms: \(report.newAlgorithms.joined(separator: ", "))") }
            for refused in report.refusedModules { print("refused module \(refused.file): \(refused.reason)") }
            if !report.refused.isEmpty { throw ExitCode(1) }
        }
    }
}

extension String {
    /// The text as one path segment of a URL.
    var pathEscaped: String {
        addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? self
    }
}
