import ArmoryCore
import ArmoryKit
import Foundation

/// Armory's state: the movie catalog, users' views and likes, and each experiment's
/// append-only history (config versions, weight versions, status changes, audit entries).
///
/// Two implementations pass one test suite: ``PostgresStateStore`` for production and
/// ``SQLiteStateStore``, the embedded default. History is never updated or deleted (the
/// schema refuses it), and version numbers per experiment are gap-free and unique even when
/// several processes append at once.
public protocol StateStore: Sendable {
    /// Where the store is, for messages: host, port and database, or the file; never a password.
    var location: String { get }

    /// Applies every migration this build knows and has not yet applied, in one transaction,
    /// and returns the schema version. Throws ``StorageError`` with code `schemaTooNew` when the
    /// database was migrated by a newer Armory.
    @discardableResult
    func migrate() async throws -> Int

    // MARK: Catalog and history

    /// Adds movies, replacing any with the same id.
    func saveMovies(_ movies: [Movie]) async throws
    /// Every movie, by id.
    func movies() async throws -> [Movie]
    /// Appends views (a user watched a movie).
    func appendViews(_ events: [UserEvent]) async throws
    /// Appends likes.
    func appendLikes(_ events: [UserEvent]) async throws
    /// A user's newest `limit` views and newest `limit` likes at or after `since` (all when
    /// `nil`), newest first (ties by smaller movie id): one index range per table.
    func history(of userID: String, since: Date?, limit: Int) async throws -> UserHistory
    /// The most viewed movies since `since`, optionally in `genre`; ties by smaller id.
    func popularMovies(genre: String?, since: Date?, limit: Int) async throws -> [MovieCount]
    /// Every view and like (movie, user, time): what the co-watch index (``CoWatchLists``) is
    /// built from and a server's history cache is warmed with, read whole in the background,
    /// never for a request.
    func watches() async throws -> Watches
    /// How many movies, distinct users, views and likes the store holds.
    func counts() async throws -> StateCounts
    /// Removes every movie, view and like (to load another catalog). Experiment history stays.
    func clearCatalogAndActivity() async throws
    /// Runs `load` (appends of many views and likes) with the indexes of views and likes
    /// dropped, and builds them again after: for loading a catalog, not for live traffic. If
    /// it stops midway, the next ``migrate()`` builds the missing indexes.
    func withBulkLoad<T: Sendable>(_ load: @Sendable () async throws -> T) async throws -> T

    // MARK: Experiment history (append-only)

    /// Appends a config version; its number is the experiment's last plus one.
    func appendConfigVersion(_ config: NewConfigVersion) async throws -> ConfigVersion
    /// An experiment's config versions, oldest first.
    func configVersions(of experimentID: String) async throws -> [ConfigVersion]
    /// Appends `weights` as the experiment's next weight version; the stored version number
    /// (the last plus one) replaces `weights.version` in the value returned.
    func appendWeightVersion(_ weights: WeightVersion) async throws -> WeightVersion
    /// Appends `weights` as version `previous + 1` only when the experiment's newest weight
    /// version is `previous`; `nil` when another process appended first (its change, a person's
    /// rollback or restore, must not be overwritten by a version computed without it).
    func appendWeightVersion(_ weights: WeightVersion, after previous: Int) async throws -> WeightVersion?
    /// An experiment's weight versions numbered above `version`, oldest first.
    func weightVersions(of experimentID: String, after version: Int) async throws -> [WeightVersion]
    /// Appends a status change; its number is the experiment's last plus one.
    func appendStatusChange(_ change: NewStatusChange) async throws -> StatusChange
    /// An experiment's status changes, oldest first.
    func statusChanges(of experimentID: String) async throws -> [StatusChange]
    /// Appends an audit entry.
    func appendAuditEntry(_ entry: NewAuditEntry) async throws -> AuditEntry
    /// The newest `limit` audit entries, for one experiment or all, newest first.
    func auditEntries(experimentID: String?, limit: Int) async throws -> [AuditEntry]
    /// Every audit entry of one experiment with one of `actions`, made at or after `since`,
    /// oldest first: what the worker reads to act once per phase, however long the log.
    func auditEntries(experimentID: String, actions: [String], since: Date) async throws -> [AuditEntry]
    /// The newest config, weight and status version numbers of every experiment with any, in
    /// one cheap query: what a server polls to learn that another process changed something.
    func historyHeads() async throws -> [String: HistoryHead]

    // MARK: Model registry (append-only)

    /// Records `version` as the model's next version (its last plus one); the stored number
    /// replaces `version.version` in the value returned.
    func appendModelVersion(_ version: ModelVersion) async throws -> ModelVersion
    /// A model's versions, oldest first (none for a name never registered).
    func modelVersions(of name: String) async throws -> [ModelVersion]
    /// Every model name with a version, sorted.
    func modelNames() async throws -> [String]
    /// Records `move` as the alias's next move; the stored number replaces `move.move`.
    func appendAliasMove(_ move: AliasMove) async throws -> AliasMove
    /// Every move of every alias of a model, oldest first.
    func aliasMoves(of name: String) async throws -> [AliasMove]
}

extension StateStore {
    /// An experiment's weight versions, oldest first.
    public func weightVersions(of experimentID: String) async throws -> [WeightVersion] {
        try await weightVersions(of: experimentID, after: 0)
    }

    /// A user's views and likes at or after `since` (all when `nil`), newest first.
    public func history(of userID: String, since: Date?) async throws -> UserHistory {
        try await history(of: userID, since: since, limit: Int(Int32.max))
    }
}

/// The newest version numbers of one experiment's histories (0 where it has none).
public struct HistoryHead: Sendable, Hashable {
    /// The newest config version.
    public var configVersion: Int
    /// The newest weight version.
    public var weightVersion: Int
    /// The newest status change.
    public var statusVersion: Int

    /// Creates a head.
    public init(configVersion: Int = 0, weightVersion: Int = 0, statusVersion: Int = 0) {
        self.configVersion = configVersion
        self.weightVersion = weightVersion
        self.statusVersion = statusVersion
    }
}

/// One view or like by one user.
public struct UserEvent: Sendable, Hashable {
    /// The user.
    public var userID: String
    /// The movie.
    public var movieID: Int
    /// When.
    public var time: Date

    /// Creates an event.
    public init(userID: String, movieID: Int, time: Date) {
        self.userID = userID
        self.movieID = movieID
        self.time = time
    }
}

/// The size of a store's catalog and history.
public struct StateCounts: Sendable, Hashable, Codable {
    /// Movies in the catalog.
    public var movies: Int
    /// Distinct users with at least one view.
    public var users: Int
    /// Views.
    public var views: Int
    /// Likes.
    public var likes: Int

    /// Creates counts.
    public init(movies: Int, users: Int, views: Int, likes: Int) {
        self.movies = movies
        self.users = users
        self.views = views
        self.likes = likes
    }
}
