/// A storage failure with a message safe to show a user: it names the store's host and
/// database (or file), never a password. Details for operators go to the logs.
public struct StorageError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure.
    public enum Code: String, Sendable, Hashable {
        /// The server could not be reached.
        case unreachable
        /// The server refused the credentials.
        case authenticationFailed
        /// The database was migrated by a newer Armory than this one.
        case schemaTooNew
        /// The location (URL or path) is not usable.
        case invalidLocation
        /// A write was refused by the schema (e.g. changing append-only history).
        case refused
        /// Anything else the store reported.
        case failed
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
