/// The result of `operation`, or a ``StorageError`` coded ``StorageError/Code/deadlineExceeded`` once `limit` has passed, when the
/// operation is cancelled (it must honour cancellation: the call returns when it does).
public func withDeadline<T: Sendable>(_ limit: Duration, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw StorageError(.deadlineExceeded, "no answer within the time allowed")
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
