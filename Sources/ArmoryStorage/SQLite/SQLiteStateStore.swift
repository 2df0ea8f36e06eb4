import ArmoryCore
import ArmoryKit
import Foundation
import GRDB

/// The embedded ``StateStore``: one SQLite file (by default `./.armory/armory.sqlite`), in WAL
/// mode so readers never wait for the writer. Appends that number versions run in `IMMEDIATE`
/// transactions, which SQLite serializes across processes.
public final class SQLiteStateStore: StateStore {
    /// The default file, relative to the working directory.
    public static let defaultPath = ".armory/armory.sqlite"

    let pool: DatabasePool
    let path: String
    /// Connections for the reads a request makes, on its own thread.
    let requestReaders: SQLiteReaders

    public var location: String { "SQLite file \(path)" }

    /// Opens (creating when missing, with its folder) the database at `path`.
    public init(path: String = SQLiteStateStore.defaultPath) throws {
        self.path = path
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            var configuration = Configuration()
            // Another process holding the write lock is waited for, not an error.
            configuration.busyMode = .timeout(30)
            configuration.prepareDatabase { db in
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
            }
            pool = try DatabasePool(path: path, configuration: configuration)
            requestReaders = try SQLiteReaders(path: path, count: 4)
        } catch {
            throw StorageError(.invalidLocation, "cannot open SQLite file \(path): \(Self.describe(error))")
        }
    }

    @discardableResult
    public func migrate() async throws -> Int {
        try await write { db in
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS armory_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)
                """)
            let current = try Int.fetchOne(db, sql: "SELECT coalesce(max(version), 0) FROM armory_migrations") ?? 0
            guard current <= Migrations.latestVersion else {
                throw StorageError(.schemaTooNew, "SQLite file \(self.path) has schema version \(current), newer than this Armory's "
                    + "\(Migrations.latestVersion): upgrade Armory, or point it at another database")
            }
            for migration in Migrations.all where migration.version > current {
                for statement in migration.sqlite {
                    try db.execute(sql: statement)
                }
                try db.execute(sql: "INSERT INTO armory_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                               arguments: [migration.version, migration.name, Date().timeIntervalSince1970])
            }
            try Self.createActivityIndexes(db)
            return Migrations.latestVersion
        }
    }

    public func withBulkLoad<T: Sendable>(_ load: @Sendable () async throws -> T) async throws -> T {
        try await write { db in
            for index in Migrations.activityIndexes { try db.execute(sql: "DROP INDEX IF EXISTS \(index.name)") }
        }
        let result = try await load()
        try await write { try Self.createActivityIndexes($0) }
        return result
    }

    private static func createActivityIndexes(_ db: Database) throws {
        for index in Migrations.activityIndexes {
            try db.execute(sql: "CREATE INDEX IF NOT EXISTS \(index.name) ON \(index.columns)")
        }
    }

    /// Runs `body` in an `IMMEDIATE` transaction, mapping SQLite errors to ``StorageError``.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(db)
                    return .commit
                }
                return result!
            }
        } catch let error as StorageError {
            throw error
        } catch {
            throw mapped(error)
        }
    }

    /// Runs `body` on a reader; cancelling the caller interrupts it.
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.read(body)
        } catch {
            throw mapped(error)
        }
    }

    /// Runs `body`, a short indexed read a request makes, on the caller's thread when a
    /// connection for that is free, otherwise on a reader; cancelling the caller interrupts it.
    func requestRead<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            if let result = try await requestReaders.read(body) { return result }
            return try await pool.read(body)
        } catch {
            throw mapped(error)
        }
    }

    /// `error` as a ``StorageError`` naming the file; a cancellation stays one.
    private func mapped(_ error: any Error) -> any Error {
        if error is CancellationError || (error as? DatabaseError)?.resultCode == .SQLITE_INTERRUPT { return CancellationError() }
        if let error = error as? DatabaseError, error.resultCode == .SQLITE_CONSTRAINT, error.message?.contains("append-only") == true {
            return StorageError(.refused, "\(location): \(error.message ?? "refused")")
        }
        return StorageError(.failed, "\(location): \(Self.describe(error))")
    }

    private static func describe(_ error: any Error) -> String {
        (error as? DatabaseError)?.message ?? "\(error)"
    }
}
