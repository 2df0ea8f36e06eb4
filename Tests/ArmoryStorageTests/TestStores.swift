import ArmoryStorage
import Foundation
import GRDB
import Logging
import PostgresNIO
import Testing
import ArmoryTestSupport

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

    static func postgresURL() throws -> String {
        try TestServers.postgresURL()
    }

    static func makeDatabase() async throws -> (url: String, name: String) {
        try await TestServers.makePostgresDatabase()
    }

    static func dropDatabase(_ name: String) async throws {
        try await TestServers.dropPostgresDatabase(name)
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
