import Logging

/// Which ``StateStore`` to use: PostgreSQL (`postgres://…`) or a SQLite file (a path, or
/// `sqlite:PATH`); read from `ARMORY_DATABASE_URL` by the commands, SQLite by default.
public enum StateStoreLocation: Sendable, Hashable, CustomStringConvertible {
    /// A PostgreSQL database.
    case postgres(PostgresEndpoint)
    /// A SQLite file.
    case sqlite(path: String)

    /// The environment variable commands read the location from.
    public static let environmentVariable = "ARMORY_DATABASE_URL"

    /// Parses `text`; `nil` or empty means the default SQLite file.
    public init(_ text: String?) throws {
        guard let text, !text.isEmpty else {
            self = .sqlite(path: SQLiteStateStore.defaultPath)
            return
        }
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(try PostgresEndpoint(url: text))
        } else if text.hasPrefix("sqlite://") {
            self = .sqlite(path: String(text.dropFirst("sqlite://".count)))
        } else if text.hasPrefix("sqlite:") {
            self = .sqlite(path: String(text.dropFirst("sqlite:".count)))
        } else if !text.contains("://") {
            self = .sqlite(path: text)
        } else {
            throw StorageError(.invalidLocation, "unsupported database URL scheme in \(Self.environmentVariable): use postgres://… or a SQLite file path")
        }
    }

    public var description: String {
        switch self {
        case .postgres(let endpoint): endpoint.location
        case .sqlite(let path): "SQLite file \(path)"
        }
    }

    /// Opens the store, runs its migrations, hands it to `body`, and (for PostgreSQL) runs its
    /// connection pool meanwhile. For commands; the server runs the pool in its ServiceGroup.
    public func withStore<T: Sendable>(
        logger: Logger = Logger(label: "armory.state"), _ body: @escaping @Sendable (any StateStore) async throws -> T
    ) async throws -> T {
        switch self {
        case .sqlite(let path):
            let store = try SQLiteStateStore(path: path)
            try await store.migrate()
            return try await body(store)
        case .postgres(let endpoint):
            let store = PostgresStateStore(endpoint: endpoint, logger: logger)
            try await store.migrate()
            // The pool's task is started first, and the body waits until it has begun.
            let (started, signal) = AsyncStream<Void>.makeStream()
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask {
                    signal.finish()
                    try await store.run()
                    return nil
                }
                for await _ in started {}
                group.addTask { try await body(store) }
                defer { group.cancelAll() }
                while let result = try await group.next() {
                    if let result { return result }
                }
                throw StorageError(.failed, "\(endpoint.location): the connection pool stopped")
            }
        }
    }
}
