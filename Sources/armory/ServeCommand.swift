import ArgumentParser
import ArmoryServer
import ArmoryStorage
import Foundation
import Logging

/// Flags shared by `armory serve` and `armory worker`.
struct ServerOptions: ParsableArguments {
    @Option(help: "Address to listen on (default $ARMORY_HOST or 127.0.0.1).")
    var host: String?

    @Option(help: "Port to listen on (default $ARMORY_PORT or 8080; 0 picks a free one).")
    var port: Int?

    @Option(name: .customLong("experiments"), help: "Folder of experiment files.")
    var experimentsDirectory = "experiments"

    @Option(name: .customLong("data-dir"), help: "Folder for the embedded SQLite stores, the event spool and generated secrets.")
    var dataDirectory = ".armory"

    @Option(help: "State store, overriding $ARMORY_DATABASE_URL: postgres://… or a SQLite file.")
    var database: String?

    @Option(help: "Metrics store, overriding $ARMORY_CLICKHOUSE_URL: http://user:password@host:8123/database.")
    var clickhouse: String?

    @Option(help: "Redis for the hot-movies list, overriding $ARMORY_REDIS_URL: redis://:password@host:6379.")
    var redis: String?

    @Flag(help: "Do not seed the demo registry into an empty state store.")
    var noDemoCatalog = false

    @Option(help: .hidden)
    var demoMovies = 5_000

    @Option(help: .hidden)
    var demoUsers = 10_000

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: Logger.Level = .info

    @OptionGroup var modules: ModuleOptions

    func configuration(role: ServerConfiguration.Role) throws -> ServerConfiguration {
        var configuration = try ServerConfiguration(environment: ProcessInfo.processInfo.environment)
        configuration.role = role
        if let host { configuration.host = host }
        if let port { configuration.port = port }
        configuration.experimentsDirectory = experimentsDirectory
        configuration.dataDirectory = dataDirectory
        if let database { configuration.state = try StateStoreLocation(database) }
        if let clickhouse { configuration.metrics = .clickhouse(url: clickhouse) }
        if let redis {
            do {
                _ = try RedisClient(url: redis)
            } catch let error as StorageError {
                throw ValidationError("--redis: \(error.description)")
            }
            configuration.redisURL = redis
        }
        configuration.demoCatalog = noDemoCatalog ? nil : .init(movies: demoMovies, users: demoUsers)
        configuration.moduleDirectories = modules.directories
        return configuration
    }

    /// Runs Armory until SIGTERM or SIGINT, printing what it loaded and where it listens.
    func run(role: ServerConfiguration.Role) async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = logLevel
            return handler
        }
        do {
            let configuration = try configuration(role: role)
            let application = try await ArmoryApplication.make(configuration: configuration, logger: Logger(label: "armory")) { line in
                printError(line)
            }
            printError("state: \(application.store.location); metrics: \(application.metricsStore.location); hot movies: "
                + ((try? configuration.redisURL.map { try RedisClient(url: $0).location }) ?? nil ?? "the state store"))
            if let kafka = configuration.kafka {
                printError("events: through Kafka at \(kafka.brokers.joined(separator: ",")), topic \(kafka.topic)"
                    + (role.ingestsEvents ? "; ingest group \(kafka.group)" : ""))
            }
            for algorithm in application.modules.report.loaded {
                printError("module: \(algorithm.name) \(algorithm.version) (\(algorithm.file))")
            }
            for refusal in application.modules.report.refused {
                printError("refused module \(refusal.file): \(refusal.reason)")
            }
            let registry = application.registry
            let tokenSource = configuration.adminToken == nil
                ? "in \((configuration.dataDirectory as NSString).appendingPathComponent("admin-token"))" : "from ARMORY_ADMIN_TOKEN"
            try await application.run { address in
                if let report = registry.firstReport {
                    for loaded in report.loaded {
                        let live = registry.experiment(loaded.id)
                        printError("experiment: \(loaded.id) v\(loaded.configVersion)\(loaded.isNewVersion ? " (new)" : "") — "
                            + "\(live?.experiment.policy.rawValue ?? "?"), \(live?.experiment.arms.count ?? 0) arms, \(live?.statusName ?? "?")")
                    }
                    for refused in report.refused {
                        printError("refused \(refused.file)\(refused.keptServing.map { " (still serving the previous version of \($0))" } ?? ""):")
                        for problem in refused.problems { printError("  \(problem)") }
                    }
                }
                // Written straight to the file descriptor, so a pipe sees it at once.
                FileHandle.standardOutput.write(Data("armory \(role.rawValue) listening on http://\(address) (admin token \(tokenSource))\n".utf8))
            }
        } catch let error as ConfigurationError {
            printError("error: \(error.description)")
            throw ExitCode(1)
        } catch let error as StorageError {
            printError("error: \(error.message)")
            throw ExitCode(1)
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// `armory serve`: the HTTP API (and, by default, the weight updater).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve recommendations, events, results and rollbacks over HTTP.",
        discussion: """
        With no configuration it needs no server: SQLite state and metrics in ./.armory, the demo registry \
        seeded on first start, the experiments in ./experiments, http://127.0.0.1:8080. Set ARMORY_DATABASE_URL \
        (postgres://…) and ARMORY_CLICKHOUSE_URL (http://…) for production, and run `armory serve --role api` \
        on the replicas with one `armory worker`; with ARMORY_KAFKA_BROKERS, events go through Kafka and \
        `armory serve --role ingest` moves them into ClickHouse. Admin routes need ARMORY_ADMIN_TOKEN (made into \
        .armory/admin-token when unset). SIGHUP reloads the experiment files.
        """
    )

    @Option(help: "What to run: api (HTTP only), worker (weight updates only), ingest (Kafka into the metrics store only) or all.")
    var role: ServerConfiguration.Role = .all

    @OptionGroup var options: ServerOptions

    func run() async throws {
        try await options.run(role: role)
    }
}

/// `armory worker`: only the weight updater (one active across processes).
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run the weight updater: Thompson sampling over the metrics, new weight versions in the state store.",
        discussion: """
        One worker updates at a time (a PostgreSQL advisory lock); another waits and takes over when it dies. \
        It serves /health, /ready and /metrics only; give it its own --port when an API runs on the same host.
        """
    )

    @OptionGroup var options: ServerOptions

    func run() async throws {
        try await options.run(role: .worker)
    }
}

extension ServerConfiguration.Role: ExpressibleByArgument {}
