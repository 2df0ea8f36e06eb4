/// The one error of ArmoryStorage: a storage failure with a message safe to show a user. It
/// names the store's host and database (or file), never a password; details for operators go
/// to the logs. New codes are added as static members of ``Code`` (the shape of postgres-nio's
/// `PSQLError.Code`), so callers compare codes rather than switch over all of them.
public struct StorageError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure.
    public struct Code: Sendable, Hashable, RawRepresentable, CustomStringConvertible {
        public let rawValue: String

        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        public var description: String { rawValue }

        /// The server could not be reached, or did not answer in time.
        public static let unreachable = Code(rawValue: "unreachable")
        /// The server refused the credentials.
        public static let authenticationFailed = Code(rawValue: "authentication_failed")
        /// The database was migrated by a newer Armory than this one.
        public static let schemaTooNew = Code(rawValue: "schema_too_new")
        /// The location (URL or path) is not usable.
        public static let invalidLocation = Code(rawValue: "invalid_location")
        /// A write was refused by the schema (e.g. changing append-only history).
        public static let refused = Code(rawValue: "refused")
        /// The server answered with something its protocol does not allow.
        public static let protocolViolation = Code(rawValue: "protocol_violation")
        /// An operation did not finish within the time allowed (``withDeadline(_:_:)``).
        public static let deadlineExceeded = Code(rawValue: "deadline_exceeded")
        /// The event writer's queue is full: try again shortly.
        public static let busy = Code(rawValue: "busy")
        /// The event writer is shutting down and takes no more events.
        public static let stopped = Code(rawValue: "stopped")
        /// Events could not be made durable: the store and the spool both failed.
        public static let notDurable = Code(rawValue: "not_durable")
        /// The thing asked for (an artifact, a bucket) does not exist.
        public static let notFound = Code(rawValue: "not_found")
        /// What was read is not what was written (an artifact whose bytes do not match its digest).
        public static let corrupted = Code(rawValue: "corrupted")
        /// Anything else the store reported.
        public static let failed = Code(rawValue: "failed")
    }

    /// What kind of failure.
    public var code: Code
    /// One line naming the store and the problem.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
