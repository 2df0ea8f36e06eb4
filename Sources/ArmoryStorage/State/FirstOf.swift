import NIOConcurrencyHelpers

/// Waits for an operation that may ignore cancellation, but no longer than a limit: what
/// ``withDeadline(_:_:)`` cannot do, since a task group waits for all its children, even one
/// that never returns (a PostgresNIO query or pool whose server stopped answering). The
/// operation and the timer run as tasks of their own; whichever ends first resumes the waiter,
/// and an operation still running afterwards is left to finish, or to end with the process.
enum FirstOf {
    /// The operation's result, or `nil` when `limit` passed first.
    static func value<T: Sendable>(
        of operation: @escaping @Sendable () async throws -> T, orAtMost limit: Duration
    ) async -> Result<T, any Error>? {
        let resumed = NIOLockedValueBox(false)
        return await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, any Error>?, Never>) in
            @Sendable func finish(_ value: Result<T, any Error>?) {
                let isFirst = resumed.withLockedValue { done in
                    defer { done = true }
                    return !done
                }
                if isFirst { continuation.resume(returning: value) }
            }
            let timer = Task {
                try? await Task.sleep(for: limit)
                finish(nil)
            }
            Task {
                do {
                    finish(.success(try await operation()))
                } catch {
                    finish(.failure(error))
                }
                timer.cancel()
            }
        }
    }
}
