import ArgumentParser
import ArmoryServer
import Foundation

/// `armory experiments`: the experiments a running server serves.
struct ExperimentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiments",
        abstract: "List the experiments a running server serves, with status, versions and weights."
    )

    @OptionGroup var connection: ServerConnectionOptions

    @Option(help: "Output format: table or json.")
    var format: OutputFormat = .table

    func run() async throws {
        try await reportingFailures {
            let data = try await connection.client.get("/v1/experiments")
            if format == .json { return try printPrettyJSON(data) }
            let listing = try APIJSON.responseDecoder.decode(ExperimentList.self, from: data)
            var table = TextTable(header: ["experiment", "policy", "objective", "status", "config", "weights", "arms (weight)"], leftAligned: [0, 1, 2, 3, 6])
            for experiment in listing.experiments {
                let arms = experiment.arms.map { "\($0.name) \(fixed($0.weight, 3))" }.joined(separator: ", ")
                table.rows.append([experiment.id, experiment.policy, experiment.objective,
                                   experiment.status + (experiment.pinnedArm.map { " → \($0)" } ?? ""),
                                   "v\(experiment.configVersion)", "v\(experiment.weightVersion)", arms])
            }
            print(table.rendered)
        }
    }
}

/// `armory results ID`: how an experiment's arms are doing.
struct ResultsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "results",
        abstract: "Per arm: trials, successes, rate, posterior mean, 95% interval, P(best), expected loss, weight and fallbacks."
    )

    @Argument(help: "The experiment's id.")
    var experiment: String

    @Option(help: "Output format: table, json or csv.")
    var format: ResultsFormat = .table

    @Flag(help: "Print the address of the experiment's results page, and open it in a browser where the desktop has one.")
    var open = false

    @OptionGroup var connection: ServerConnectionOptions

    enum ResultsFormat: String, ExpressibleByArgument, CaseIterable {
        case table, json, csv
    }

    func run() async throws {
        try await reportingFailures {
            let id = experiment.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? experiment
            let path = "/v1/experiments/\(id)/results"
            if open {
                // Asked of the server first, so a wrong id or a server that is not there is said here, not on the page.
                _ = try await connection.client.get("/v1/experiments/\(id)")
                let page = "\(connection.client.baseURL)/experiments/\(id)"
                print(page)
                ResultsPageOpener.open(page)
                return
            }
            switch format {
            case .csv:
                print(String(decoding: try await connection.client.get(path + "?format=csv"), as: UTF8.self), terminator: "")
            case .json:
                try printPrettyJSON(try await connection.client.get(path))
            case .table:
                // The server's own type, decoded from its JSON.
                let results = try APIJSON.responseDecoder.decode(ExperimentResults.self, from: try await connection.client.get(path))
                print(ResultsTable(results: results).rendered)
            }
        }
    }
}

/// Opens a results page in the desktop's browser when there is a desktop to open it on.
enum ResultsPageOpener {
    static func open(_ address: String) {
        let environment = ProcessInfo.processInfo.environment
        #if os(macOS)
        let opener = "/usr/bin/open"
        #else
        guard environment["DISPLAY"] != nil || environment["WAYLAND_DISPLAY"] != nil else { return }
        let opener = "/usr/bin/xdg-open"
        #endif
        guard FileManager.default.isExecutableFile(atPath: opener) else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: opener)
        process.arguments = [address]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try? process.run()
    }
}

/// The options every experiment change takes: the experiment, why, and who.
struct ChangeOptions: ParsableArguments {
    @Argument(help: "The experiment's id.")
    var experiment: String

    @Option(help: "Why, for the audit log (required).")
    var reason: String

    @Option(help: "Who, for the audit log (default $USER).")
    var actor: String?

    var body: [String: Any] {
        ["reason": reason, "actor": actor ?? ProcessInfo.processInfo.environment["USER"] ?? "cli"]
    }

    func path(_ action: String) -> String {
        "/v1/experiments/\(experiment.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? experiment)/\(action)"
    }
}

/// `armory rollback ID (--to-version N | --to-arm NAME) --reason TEXT`.
struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Restore an earlier weight version (as a new one), or send all traffic to one arm and freeze updates.",
        discussion: "Needs the admin token (ARMORY_ADMIN_TOKEN, or .armory/admin-token beside a local server). See the versions with `armory weights ID`."
    )

    @OptionGroup var change: ChangeOptions

    @Option(help: "The weight version to restore.")
    var toVersion: Int?

    @Option(help: "The arm to send all traffic to.")
    var toArm: String?

    @OptionGroup var connection: ServerConnectionOptions

    func run() async throws {
        // Checked here rather than in validate(): the parser reports a mistyped option
        // (`--to_version`) only after validate() has passed.
        guard (toVersion == nil) != (toArm == nil) else {
            throw ValidationError("give exactly one of --to-version N (restore version N's weights) or --to-arm NAME (send everyone to one arm)")
        }
        try await reportingFailures {
            var body = change.body
            if let toVersion { body["to_version"] = toVersion }
            if let toArm { body["to_arm"] = toArm }
            try printChange(try await connection.client.post(change.path("rollback"), json: body))
        }
    }
}

/// `armory restore ID ARM --reason TEXT`.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Give an arm a guardrail dropped its share again; its guardrails count from now (needs the admin token).")

    @OptionGroup var change: ChangeOptions

    @Argument(help: "The dropped arm.")
    var arm: String

    @OptionGroup var connection: ServerConnectionOptions

    func run() async throws {
        let path = change.path("arms/\(arm.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? arm)/restore")
        try await reportingFailures { try printChange(try await connection.client.post(path, json: change.body)) }
    }
}

/// `armory pause ID --reason TEXT`.
struct PauseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pause", abstract: "Serve every user the fallback arm and freeze the weights (needs the admin token).")

    @OptionGroup var change: ChangeOptions
    @OptionGroup var connection: ServerConnectionOptions

    func run() async throws {
        try await reportingFailures { try printChange(try await connection.client.post(change.path("pause"), json: change.body)) }
    }
}

/// `armory resume ID --reason TEXT`.
struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume", abstract: "Serve by the weights again; also ends a rollback to one arm (needs the admin token).")

    @OptionGroup var change: ChangeOptions
    @OptionGroup var connection: ServerConnectionOptions

    func run() async throws {
        try await reportingFailures { try printChange(try await connection.client.post(change.path("resume"), json: change.body)) }
    }
}

/// One line on what an experiment serves after a change.
private func printChange(_ data: Data) throws {
    let experiment = try APIJSON.responseDecoder.decode(ExperimentSummary.self, from: data)
    let arms = experiment.arms.map { "\($0.name) \(fixed($0.weight, 3))" }.joined(separator: ", ")
    print("\(experiment.id): \(experiment.status)\(experiment.pinnedArm.map { " → \($0)" } ?? ""), weights v\(experiment.weightVersion) (\(arms))")
}
