/// Makes sure one process at a time does a job (the weight updater): ``whileLeading(_:)`` waits
/// until this process holds the lock, runs the job while it does, and cancels the job when the
/// lock is lost, then waits to take it again.
public protocol LeaderLock: Sendable {
    /// Runs `body` while holding the lock; returns when `body` returns or the task is cancelled.
    func whileLeading(_ body: @escaping @Sendable () async throws -> Void) async throws
}

/// The lock for a single process (the embedded SQLite store): always held.
public struct ProcessLeaderLock: LeaderLock {
    /// The lock.
    public init() {}

    public func whileLeading(_ body: @escaping @Sendable () async throws -> Void) async throws {
        try await body()
    }
}
