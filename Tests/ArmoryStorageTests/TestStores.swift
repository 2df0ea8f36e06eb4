import ArmoryStorage
import Foundation
import GRDB
import Logging
import PostgresNIO
import Testing

/// The two stores the shared suite runs against.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { self == .sqlite ? "SQLite" : "PostgreSQL" }
}

/// A fresh, migrated store of each kind per test: a new SQLite file, or a new PostgreSQL
/// database on the server `scripts/services.sh` started (found by `ARMORY_TEST_DATABASE_URL`).
enum TestStores {
    static let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    /// The test server's URL. A missing variable fails the test, naming the variable: CI always
    /// sets it, so the PostgreSQL half of the suite never silently goes missing.
    static func postgresURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["ARMORY_TEST_DATABASE_URL"], !url.isEmpty else {
            throw TestSetupError("ARMORY_TEST_DATABASE_URL is not set: run the tests with `bash scripts/test`, which starts PostgreSQL")
        }
        return url
    }

    struct TestSetupError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// A new empty database on the test server; its URL. Dropped by ``dropDatabase(_:)``.
    static func makeDatabase() async throws -> (url: String, name: String) {
        let base = try PostgresEndpoint(url: postgresURL())
        let name = "armory_test_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased())"
        try await withAdminConnection(base) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: quiet)
        }
        return ("postgres://\(base.username):\(base.password ?? "")@\(base.host):\(base.port)/\(name)", name)
    }

    static func dropDatabase(_ name: String) async throws {
        let base = try PostgresEndpoint(url: postgresURL())
        try await withAdminConnection(base) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: quiet)
        }
    }

    @discardableResult
    static func withAdminConnection<T>(_ endpoint: PostgresEndpoint, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await endpoint.withConnection(logger: quiet, body)
    }

    /// Runs `body` with a fresh, migrated store of `kind`, and its location string (URL or path).
    static func withFreshStore<T: Sendable>(
        _ kind: StoreKind, _ body: @escaping @Sendable (any StateStore, String) async throws -> T
    ) async throws -> T {
        switch kind {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("armory-state-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            let path = directory.appendingPathComponent("armory.sqlite").path
            return try await StateStoreLocation.sqlite(path: path).withStore(logger: quiet) { try await body($0, path) }
        case .postgres:
            let (url, name) = try await makeDatabase()
            do {
                let result = try await StateStoreLocation(url).withStore(logger: quiet) { try await body($0, url) }
                try await dropDatabase(name)
                return result
            } catch {
                try? await dropDatabase(name)
                throw error
            }
        }
    }

    /// Runs raw SQL against the store at `location`, bypassing the StateStore API (to try what
    /// the API never does, like updating history).
    static func executeRaw(_ sql: String, kind: StoreKind, location: String) async throws {
        switch kind {
        case .sqlite:
            let queue = try DatabaseQueue(path: location)
            try await queue.write { try $0.execute(sql: sql) }
        case .postgres:
            try await withAdminConnection(try PostgresEndpoint(url: location)) { connection in
                try await connection.query(PostgresQuery(unsafeSQL: sql), logger: quiet)
            }
        }
    }
}
