import Foundation
import Logging
import PostgresNIO

/// Where a PostgreSQL database is and how to log in, parsed from a
/// `postgres://user:password@host:port/database` URL.
public struct PostgresEndpoint: Sendable, Hashable {
    /// The server's host name or address.
    public var host: String
    /// Its port.
    public var port: Int
    /// The role to log in as.
    public var username: String
    /// Its password, if any. Never printed.
    public var password: String?
    /// The database.
    public var database: String

    /// Creates an endpoint.
    public init(host: String, port: Int = 5432, username: String, password: String?, database: String) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
    }

    /// Parses `postgres://` or `postgresql://` URLs; throws ``StorageError`` saying what is
    /// missing, without repeating the password.
    public init(url text: String) throws {
        guard let url = URLComponents(string: text), ["postgres", "postgresql"].contains(url.scheme ?? "") else {
            throw StorageError(.invalidLocation, "not a PostgreSQL URL: expected postgres://user:password@host:port/database")
        }
        guard let host = url.host, !host.isEmpty else {
            throw StorageError(.invalidLocation, "PostgreSQL URL has no host: expected postgres://user:password@host:port/database")
        }
        let database = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        guard !database.isEmpty else {
            throw StorageError(.invalidLocation, "PostgreSQL URL for \(host) names no database: add /database after the host and port")
        }
        guard let user = url.user, !user.isEmpty else {
            throw StorageError(.invalidLocation, "PostgreSQL URL for \(host) names no user: use postgres://user:password@\(host)/\(database)")
        }
        self.init(host: host, port: url.port ?? 5432, username: user.removingPercentEncoding ?? user,
                  password: url.password.map { $0.removingPercentEncoding ?? $0 }, database: database)
    }

    /// For messages: host, port and database.
    public var location: String { "PostgreSQL at \(host):\(port), database \(database)" }
}

extension PostgresEndpoint {
    /// Runs `body` on a connection of its own (no pool), closed afterwards whether `body`
    /// succeeds or throws: for migrations and administrative statements, and the first place a
    /// wrong password or a server that is down shows up.
    @discardableResult
    public func withConnection<T>(logger: Logger, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await PostgresConnection.connect(
            configuration: .init(host: host, port: port, username: username, password: password, database: database, tls: .disable),
            id: 0, logger: logger
        )
        // Closing waits for the server's goodbye, which a server that went away never sends.
        let close: @Sendable () async -> Void = { _ = await FirstOf.value(of: { try await connection.close() }, orAtMost: .seconds(1)) }
        do {
            let result = try await body(connection)
            await close()
            return result
        } catch {
            await close()
            throw error
        }
    }
}
