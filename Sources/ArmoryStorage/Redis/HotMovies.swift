import ArmoryKit
import Foundation

/// The hot-movies counters in Redis: every view and click adds one to the movie's score in a
/// sorted set for its hour, overall and for each of the movie's genres, so every API replica
/// sees the same hot list without asking the database. A window's list is its hours' sets
/// added up by Redis; hour sets expire once no window can reach them.
public struct HotMovies: Sendable {
    /// The client.
    public let redis: RedisClient
    /// How long an hour's counts are kept: the longest window answered from Redis.
    public let retention: Duration
    /// Key prefix, so several Armory installations can share a Redis.
    public let prefix: String

    /// Counters in `redis`, kept for `retention` (31 days by default).
    public init(redis: RedisClient, retention: Duration = .seconds(31 * 86_400), prefix: String = "armory:hot") {
        self.redis = redis
        self.retention = retention
        self.prefix = prefix
    }

    /// One view or click of a movie.
    public struct Hit: Sendable, Hashable {
        /// The movie.
        public var movieID: Int
        /// Its genres.
        public var genres: [String]
        /// When.
        public var time: Date

        /// Creates a hit.
        public init(movieID: Int, genres: [String], time: Date) {
            self.movieID = movieID
            self.genres = genres
            self.time = time
        }
    }

    /// The key of `genre`'s (or, for `nil`, every genre's) counts in the hour starting at `hour` × 3600.
    public func key(genre: String?, hour: Int) -> String {
        "\(prefix):\(genre ?? "*"):\(hour)"
    }

    /// Adds `hits` to their hours' sets, in one pipeline, and sets each set to expire.
    public func record(_ hits: [Hit]) async throws {
        guard !hits.isEmpty else { return }
        var commands: [[String]] = []
        var expiries: [String: Int] = [:]
        let keep = Int(retention.components.seconds)
        for hit in hits {
            let hour = Int((hit.time.timeIntervalSince1970 / 3_600).rounded(.down))
            for genre in [nil] + hit.genres.map(Optional.some) {
                let key = key(genre: genre, hour: hour)
                commands.append(["ZINCRBY", key, "1", String(hit.movieID)])
                expiries[key] = (hour + 1) * 3_600 + keep
            }
        }
        for (key, time) in expiries.sorted(by: { $0.key < $1.key }) {
            commands.append(["EXPIREAT", key, String(time)])
        }
        let replies = try await redis.pipeline(commands)
        if case .error(let message)? = replies.first(where: { if case .error = $0 { true } else { false } }) {
            throw StorageError(.refused, "\(redis.location) refused a hot-movies update: \(message)")
        }
    }

    /// The most viewed and clicked movies from the hour holding `since` to the hour holding
    /// `now` (whole hours), optionally in `genre`, most counted first (ties by smaller id;
    /// which of several movies tied at the cut make the list is Redis's choice).
    ///
    /// Redis adds the hours up into a scratch key and returns only the top `limit`: one
    /// round trip, and a reply of `limit` movies rather than the whole catalog.
    public func popular(genre: String?, since: Date, now: Date = Date(), limit: Int) async throws -> [MovieCount] {
        let last = Int((now.timeIntervalSince1970 / 3_600).rounded(.down))
        let oldest = last - Int(retention.components.seconds / 3_600)
        let first = max(oldest, Int((since.timeIntervalSince1970 / 3_600).rounded(.down)))
        guard first <= last, limit > 0 else { return [] }
        let keys = (first...last).map { key(genre: genre, hour: $0) }
        let scratch = "\(prefix):union:\(UUID().uuidString)"
        let replies = try await redis.pipeline([
            ["ZUNIONSTORE", scratch, String(keys.count)] + keys,
            ["ZREVRANGE", scratch, "0", String(limit - 1), "WITHSCORES"],
            ["DEL", scratch],
        ])
        guard case .array(let elements?) = replies[1], elements.count.isMultiple(of: 2) else {
            throw StorageError(.protocolViolation, "\(redis.location) answered the hot-list read with \(replies[0]), \(replies[1])")
        }
        var counts: [MovieCount] = []
        counts.reserveCapacity(elements.count / 2)
        for index in stride(from: 0, to: elements.count, by: 2) {
            guard let movie = elements[index].text.flatMap(Int.init), let score = elements[index + 1].text.flatMap(Double.init) else {
                throw StorageError(.protocolViolation, "\(redis.location) answered the hot-list read with a member that is not a movie id and a count")
            }
            counts.append(MovieCount(movieID: movie, count: Int(score)))
        }
        counts.sort { $0.count != $1.count ? $0.count > $1.count : $0.movieID < $1.movieID }
        return counts
    }
}
