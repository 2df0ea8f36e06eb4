import ArmoryCore
import ArmoryKit
import Foundation
import Logging

/// The ``DataSource`` when Redis is configured: popular movies over a window come from the
/// hot-movies counters in Redis (the same list on every replica), everything else from the
/// state store. It degrades, never fails: when Redis is down or slow, the popular list comes
/// from the state store, the failure is logged at most once per interval and counted, and
/// Redis is asked again at the next refresh (every few seconds). ``HotListRecorder`` keeps the
/// counters.
public final class HotListDataSource: DataSource {
    private let base: any DataSource
    private let hot: HotMovies
    private let lists: LoadingCache<Key, [MovieCount]>
    private let failures: RedisFailures

    private struct Key: Hashable {
        var genre: String?
        var windowMinutes: Int
    }

    /// Lists are read at least this long, so requests with different limits share them.
    private static let minimumListLength = 200

    /// A source answering popular lists from `hot` (each cached for `listLifetime`) and the
    /// rest from `base`. `onFailure` is told of each failed Redis read (`read`).
    public init(
        base: any DataSource, hot: HotMovies, listLifetime: Duration = .seconds(5), failureLogInterval: Duration = .seconds(30),
        logger: Logger = Logger(label: "armory.redis"), onFailure: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.base = base
        self.hot = hot
        // An expired list is served while it reloads, for up to a minute.
        lists = LoadingCache(capacity: 1_000, lifetime: listLifetime, staleLifetime: .seconds(60))
        failures = RedisFailures(logger: logger, logInterval: failureLogInterval, onFailure: onFailure)
    }

    public func catalog() async throws -> MovieCatalog {
        try await base.catalog()
    }

    public func history(of userID: String, since: Date?) async throws -> UserHistory {
        try await base.history(of: userID, since: since)
    }

    public func coWatchedMovies(with movieID: Int, limit: Int) async throws -> [MovieCount] {
        try await base.coWatchedMovies(with: movieID, limit: limit)
    }

    public func popularMovies(genre: String?, since: Date?, limit: Int) async throws -> [MovieCount] {
        // All time, and any window longer than Redis keeps (31 days by default), is the state
        // store's: a 60-day list from Redis would silently be a 31-day one.
        guard let since, Date().timeIntervalSince(since) <= hot.retention.timeInterval else {
            return try await base.popularMovies(genre: genre, since: since, limit: limit)
        }
        let minutes = Int((Date().timeIntervalSince(since) / 60).rounded())
        let wanted = max(limit, Self.minimumListLength)
        let list = try await lists.value(for: Key(genre: genre, windowMinutes: minutes)) { [hot, base, failures] in
            let start = Date().addingTimeInterval(-Double(minutes) * 60)
            do {
                return try await hot.popular(genre: genre, since: start, limit: wanted)
            } catch {
                failures.note("read", error)
                return try await base.popularMovies(genre: genre, since: start, limit: wanted)
            }
        }
        return Array(list.prefix(limit))
    }
}
