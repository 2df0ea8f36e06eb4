import Foundation
import Logging
import Synchronization

/// What the Redis parts do when Redis fails: tell `onFailure` every time (for `/metrics`), and
/// log at most once per interval, so an outage does not flood the log.
final class RedisFailures: Sendable {
    private let logger: Logger
    private let logInterval: Duration
    private let onFailure: @Sendable (_ operation: String) -> Void
    private let lastLogged = Mutex<ContinuousClock.Instant?>(nil)

    init(logger: Logger, logInterval: Duration, onFailure: @escaping @Sendable (String) -> Void) {
        self.logger = logger
        self.logInterval = logInterval
        self.onFailure = onFailure
    }

    /// Counts a failed `operation` and logs it unless one was logged within the interval.
    func note(_ operation: String, _ error: any Error) {
        onFailure(operation)
        let now = ContinuousClock.now
        let shouldLog = lastLogged.withLock { last in
            guard last.map({ now - $0 >= logInterval }) ?? true else { return false }
            last = now
            return true
        }
        if shouldLog {
            logger.warning("Redis failed; hot movies come from the state store until it answers (logged at most every \(logInterval))",
                           metadata: ["operation": "\(operation)", "error": "\(error)"])
        }
    }
}
