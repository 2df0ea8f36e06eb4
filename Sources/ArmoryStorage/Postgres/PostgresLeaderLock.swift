import Foundation
import Logging
import PostgresNIO

/// A PostgreSQL session advisory lock, held on a connection of its own: when the process dies
/// or its connection drops, the server releases the lock and a waiting process takes it within
/// `retryInterval`. (Needs a direct connection or session pooling; a transaction-pooling proxy
/// would hand the session to others.)
public struct PostgresLeaderLock: LeaderLock {
    /// The database.
    public let endpoint: PostgresEndpoint
    /// The advisory lock key ("ARMORY" in ASCII by default).
    public let key: Int64
    /// How often a waiting process tries the lock, and a holder checks its connection.
    public let retryInterval: Duration
    private let logger: Logger

    /// A lock on `endpoint`.
    public init(endpoint: PostgresEndpoint, key: Int64 = 0x41_52_4D_4F_52_59, retryInterval: Duration = .seconds(2),
                logger: Logger = Logger(label: "armory.leader")) {
        self.endpoint = endpoint
        self.key = key
        self.retryInterval = retryInterval
        self.logger = logger
    }

    public func whileLeading(_ body: @escaping @Sendable () async throws -> Void) async throws {
        var waitingLogged = false
        while !Task.isCancelled {
            do {
                try await endpoint.withConnection(logger: logger) { connection in
                    while try await !tryLock(connection) {
                        if !waitingLogged {
                            logger.info("another process holds the updater lock; waiting to take over", metadata: ["key": "\(key)"])
                            waitingLogged = true
                        }
                        try await Task.sleep(for: retryInterval)
                    }
                    logger.info("took the updater lock", metadata: ["key": "\(key)"])
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask { try await body() }
                        group.addTask {
                            // A dropped connection means the server has released the lock. A
                            // query on a connection whose server went away may never answer,
                            // nor end when cancelled: past the interval the lock counts as lost.
                            while true {
                                try await Task.sleep(for: retryInterval)
                                let check = await FirstOf.value(of: { _ = try await connection.query("SELECT 1", logger: logger) },
                                                                orAtMost: retryInterval)
                                guard let check else { throw StorageError(.unreachable, "\(endpoint.location) stopped answering") }
                                try check.get()
                            }
                        }
                        defer { group.cancelAll() }
                        try await group.next()
                    }
                }
                return
            } catch where Task.isCancelled || error is CancellationError {
                return
            } catch {
                logger.warning("lost or could not take the updater lock; trying again", metadata: ["error": "\(String(reflecting: error))"])
                waitingLogged = false
                try? await Task.sleep(for: retryInterval)
            }
        }
    }

    private func tryLock(_ connection: PostgresConnection) async throws -> Bool {
        let rows = try await connection.query("SELECT pg_try_advisory_lock(\(key))", logger: logger)
        for try await held in rows.decode(Bool.self) { return held }
        return false
    }
}
