import Foundation
import GRDB
import Synchronization

/// Read-only connections used on the caller's thread, for the short indexed reads a request
/// makes (a user's history). The pool's asynchronous reads move each read to a queue of its own
/// and back, two thread switches that cost more than the read; these run where the request
/// runs, and a cancelled request interrupts its read (`sqlite3_interrupt`). When every
/// connection is busy, the caller is told to use the pool.
final class SQLiteReaders: Sendable {
    private let idle: Mutex<[DatabaseQueue]>

    /// `count` read-only connections to the file at `path`.
    init(path: String, count: Int) throws {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        idle = Mutex(try (0..<count).map { _ in try DatabaseQueue(path: path, configuration: configuration) })
    }

    /// The result of `body` on an idle connection, or `nil` when none is idle.
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T? {
        guard let connection = idle.withLock({ $0.popLast() }) else { return nil }
        defer { idle.withLock { $0.append(connection) } }
        return try await withTaskCancellationHandler {
            try Task.checkCancellation()
            // In one transaction (the queue's read makes one): one snapshot for every statement.
            return try connection.read(body)
        } onCancel: {
            connection.interrupt()
        }
    }
}
