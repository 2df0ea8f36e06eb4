import ArmoryCore
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// The production ``StateStore``: PostgreSQL through a pooled postgres-nio `PostgresClient`.
///
/// The pool works only while ``run()`` runs (it is a `Service`); run it in the server's
/// `ServiceGroup`. ``migrate()`` opens a connection of its own, so it also tells, in one line,
/// whether the server is reachable and the password right.
public final class PostgresStateStore: StateStore, Service {
    let endpoint: PostgresEndpoint
    let client: PostgresClient
    let logger: Logger
    /// Opens once the pool runs: queries asked for before that (by services starting beside
    /// this one) wait for it instead of leasing from a pool that is not running yet.
    private let started = Latch()

    public var location: String { endpoint.location }

    /// A store for the database at `endpoint`, with at most `maximumConnections` connections.
    public init(endpoint: PostgresEndpoint, maximumConnections: Int = 20, logger: Logger = Logger(label: "armory.postgres")) {
        self.endpoint = endpoint
        self.logger = logger
        var configuration = PostgresClient.Configuration(
            host: endpoint.host, port: endpoint.port, username: endpoint.username, password: endpoint.password,
            database: endpoint.database, tls: .disable
        )
        configuration.options.maximumConnections = maximumConnections
        // Connections open before the first requests need them: a new one costs a TLS-less
        // handshake and a SCRAM exchange, a good part of a request's budget.
        configuration.options.minimumConnections = min(4, maximumConnections)
        configuration.options.connectTimeout = .seconds(5)
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
    }

    /// How long the pool may take to stop at shutdown before this service returns without it.
    static let poolStopDeadline: Duration = .seconds(1)

    /// Runs the connection pool until cancelled or the service group shuts down.
    ///
    /// The pool runs in a task of its own rather than a child task: while it is retrying a
    /// connection to a server that is down, postgres-nio's `run()` does not return when
    /// cancelled (postgres-nio issue #599), and a child that never returns would keep the whole
    /// process alive past SIGTERM. At shutdown the pool is cancelled and given
    /// ``poolStopDeadline``; then this returns either way, so the process can end.
    public func run() async throws {
        let pool = Task { await client.run() }
        // The pool's run() marks it running as it starts; give it that moment.
        try? await Task.sleep(for: .milliseconds(5))
        started.open()
        try? await gracefulShutdown()
        pool.cancel()
        if await FirstOf.value(of: { await pool.value }, orAtMost: Self.poolStopDeadline) == nil {
            logger.warning("the PostgreSQL pool did not stop within \(Self.poolStopDeadline) (the server is unreachable); exiting without it")
        }
    }

    @discardableResult
    public func migrate() async throws -> Int {
        do {
            return try await endpoint.withConnection(logger: logger) { try await migrate(on: $0) }
        } catch {
            throw storageError(error)
        }
    }

    private func migrate(on connection: PostgresConnection) async throws -> Int {
        try await connection.withTransaction(logger: logger) { connection in
            // Two servers starting at once take turns.
            try await connection.query("SELECT pg_advisory_xact_lock(7297236951)", logger: logger)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS armory_migrations (version integer PRIMARY KEY, name text NOT NULL,
                  applied_at timestamptz NOT NULL DEFAULT now())
                """, logger: logger)
            var current = 0
            for try await version in try await connection.query("SELECT coalesce(max(version), 0) FROM armory_migrations", logger: logger)
                .decode(Int.self) {
                current = version
            }
            guard current <= Migrations.latestVersion else {
                throw StorageError(.schemaTooNew, "\(location) has schema version \(current), newer than this Armory's "
                    + "\(Migrations.latestVersion): upgrade Armory, or point it at another database")
            }
            for migration in Migrations.all where migration.version > current {
                for statement in migration.postgres {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO armory_migrations (version, name) VALUES (\(migration.version), \(migration.name))", logger: logger)
            }
            for index in Migrations.activityIndexes {
                try await connection.query(PostgresQuery(unsafeSQL: "CREATE INDEX IF NOT EXISTS \(index.name) ON \(index.columns)"), logger: logger)
            }
            return Migrations.latestVersion
        }
    }

    /// Runs `body`, turning postgres-nio's errors into ``StorageError``s that name the database.
    @discardableResult
    func mapErrors<T>(_ body: () async throws -> T) async throws -> T {
        await started.wait()
        do {
            return try await body()
        } catch {
            throw storageError(error)
        }
    }

    /// The gist of a connection failure, without NIO's nested descriptions.
    static func connectionProblem(_ error: (any Error)?) -> String {
        let text = error.map { "\($0)" } ?? ""
        for (needle, gist) in [("Connection refused", "connection refused (is the server running, and on this port?)"),
                               ("timed out", "connection timed out"), ("imeout", "connection timed out"),
                               ("No route to host", "no route to host"), ("resolve", "the host name does not resolve"),
                               ("known", "the host name does not resolve")] where text.contains(needle) {
            return gist
        }
        return text.isEmpty ? "the connection failed" : text
    }

    /// One line for `error`, naming host, port, database and user, never the password.
    func storageError(_ error: any Error) -> any Error {
        if let error = error as? StorageError {
            return error
        }
        if error is CancellationError { return error }
        if let transaction = error as? PostgresTransactionError {
            // The transaction's own step failed, or the work inside it did.
            if let inner = transaction.closureError ?? transaction.beginError ?? transaction.commitError {
                return storageError(inner)
            }
        }
        guard let error = error as? PSQLError else {
            // The pool's own error (it lives in postgres-nio's underscored _ConnectionPoolModule,
            // not imported here): it stopped trying to connect for a while after failures, or shut down.
            if String(reflecting: type(of: error)).hasSuffix(".ConnectionPoolError") {
                return StorageError(.unreachable, "cannot reach \(location): its connection pool is waiting before it tries again")
            }
            return StorageError(.failed, "\(location): \(error)")
        }
        if let state = error.serverInfo?[.sqlState] {
            let message = error.serverInfo?[.message] ?? "error \(state)"
            switch state {
            case "28P01", "28000":
                return StorageError(.authenticationFailed,
                                    "\(location) refused user '\(endpoint.username)': \(message); check the password in the URL")
            case "3D000":
                return StorageError(.invalidLocation, "\(location): \(message)")
            case "P0001" where message.contains("append-only"):
                return StorageError(.refused, "\(location): \(message)")
            case _ where state.hasPrefix("08") || state.hasPrefix("57P") || (state == "55000" && message.contains("accepting connections")):
                // Connection exceptions, and a server shutting down or starting up: it comes back.
                return StorageError(.unreachable, "cannot reach \(location): \(message)")
            default:
                return StorageError(.failed, "\(location): \(message)")
            }
        }
        if [.connectionError, .serverClosedConnection, .uncleanShutdown, .clientClosedConnection].contains(error.code) {
            return StorageError(.unreachable, "cannot reach \(location): \(Self.connectionProblem(error.underlying))")
        }
        return StorageError(.failed, "\(location): \(error.code)")
    }
}
