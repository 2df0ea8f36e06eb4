import ArmoryCore
import ArmoryKit
import Foundation
import PostgresNIO

extension PostgresStateStore {
    public func saveMovies(_ movies: [Movie]) async throws {
        guard !movies.isEmpty else { return }
        let ids = movies.map(\.id)
        let genrePairs = movies.flatMap { movie in movie.genres.map { (movie.id, $0) } }
        try await mapErrors {
            try await client.withTransaction(logger: logger) { connection in
                try await connection.query("""
                    INSERT INTO movies (id, title, year, genres)
                    SELECT * FROM unnest(\(ids)::bigint[], \(movies.map(\.title))::text[], \(movies.map(\.year))::integer[],
                                         \(movies.map { $0.genres.joined(separator: "|") })::text[])
                    ON CONFLICT (id) DO UPDATE SET title = excluded.title, year = excluded.year, genres = excluded.genres
                    """, logger: logger)
                try await connection.query("DELETE FROM movie_genres WHERE movie_id = ANY(\(ids)::bigint[])", logger: logger)
                try await connection.query("""
                    INSERT INTO movie_genres (movie_id, genre)
                    SELECT * FROM unnest(\(genrePairs.map(\.0))::bigint[], \(genrePairs.map(\.1))::text[]) ON CONFLICT DO NOTHING
                    """, logger: logger)
            }
        }
    }

    public func movies() async throws -> [Movie] {
        try await mapErrors {
            var movies: [Movie] = []
            let rows = try await client.query("SELECT id, title, year, genres FROM movies ORDER BY id", logger: logger)
            for try await (id, title, year, genres) in rows.decode((Int, String, Int, String).self) {
                movies.append(Movie(id: id, title: title, genres: genres.isEmpty ? [] : genres.components(separatedBy: "|"), year: year))
            }
            return movies
        }
    }

    public func appendViews(_ events: [UserEvent]) async throws {
        try await append(events, table: "views")
    }

    public func appendLikes(_ events: [UserEvent]) async throws {
        try await append(events, table: "likes")
    }

    /// One statement per batch: arrays bound as parameters and unnested into rows.
    private func append(_ events: [UserEvent], table: String) async throws {
        guard !events.isEmpty else { return }
        var query = PostgresQuery(unsafeSQL: "INSERT INTO \(table) (user_id, movie_id, at) SELECT * FROM unnest($1::text[], $2::bigint[], $3::timestamptz[])")
        query.binds.append(events.map(\.userID))
        query.binds.append(events.map(\.movieID))
        query.binds.append(events.map(\.time))
        try await mapErrors { try await client.query(query, logger: logger) }
    }

    public func history(of userID: String, since: Date?, limit: Int) async throws -> UserHistory {
        let statement = HistoryStatement(userID: userID, since: since ?? Date(timeIntervalSince1970: -62_135_596_800), limit: limit)
        return try await mapErrors {
            var history = UserHistory()
            for try await (kind, movieID, time) in try await client.execute(statement, logger: logger) {
                let event = HistoryEvent(movieID: movieID, time: time)
                if kind == 0 { history.views.append(event) } else { history.likes.append(event) }
            }
            return history
        }
    }

    public func popularMovies(genre: String?, since: Date?, limit: Int) async throws -> [MovieCount] {
        let start = since ?? Date(timeIntervalSince1970: -62_135_596_800)
        return try await mapErrors {
            let rows = if let genre {
                try await client.query("""
                    SELECT v.movie_id, count(*) AS n FROM views v JOIN movie_genres g ON g.movie_id = v.movie_id AND g.genre = \(genre)
                    WHERE v.at >= \(start) GROUP BY v.movie_id ORDER BY n DESC, v.movie_id LIMIT \(limit)
                    """, logger: logger)
            } else {
                try await client.query("""
                    SELECT movie_id, count(*) AS n FROM views WHERE at >= \(start) GROUP BY movie_id ORDER BY n DESC, movie_id LIMIT \(limit)
                    """, logger: logger)
            }
            return try await Self.movieCounts(rows)
        }
    }

    public func watches() async throws -> Watches {
        try await mapErrors {
            var watches = Watches()
            let rows = try await client.query("SELECT movie_id, user_id, at, 0 FROM views UNION ALL SELECT movie_id, user_id, at, 1 FROM likes",
                                              logger: logger)
            for try await (movieID, user, time, kind) in rows.decode((Int, String, Date, Int).self) {
                watches.append(movieID: movieID, userID: user, time: time, isLike: kind == 1)
            }
            return watches
        }
    }

    private static func movieCounts(_ rows: PostgresRowSequence) async throws -> [MovieCount] {
        var counts: [MovieCount] = []
        for try await (movieID, count) in rows.decode((Int, Int).self) {
            counts.append(MovieCount(movieID: movieID, count: count))
        }
        return counts
    }

    public func counts() async throws -> StateCounts {
        try await mapErrors {
            let rows = try await client.query("""
                SELECT (SELECT count(*) FROM movies), (SELECT count(DISTINCT user_id) FROM views),
                       (SELECT count(*) FROM views), (SELECT count(*) FROM likes)
                """, logger: logger)
            for try await (movies, users, views, likes) in rows.decode((Int, Int, Int, Int).self) {
                return StateCounts(movies: movies, users: users, views: views, likes: likes)
            }
            return StateCounts(movies: 0, users: 0, views: 0, likes: 0)
        }
    }

    public func withBulkLoad<T: Sendable>(_ load: @Sendable () async throws -> T) async throws -> T {
        try await mapErrors {
            for index in Migrations.activityIndexes {
                try await client.query(PostgresQuery(unsafeSQL: "DROP INDEX IF EXISTS \(index.name)"), logger: logger)
            }
        }
        let result = try await load()
        try await mapErrors {
            for index in Migrations.activityIndexes {
                try await client.query(PostgresQuery(unsafeSQL: "CREATE INDEX IF NOT EXISTS \(index.name) ON \(index.columns)"), logger: logger)
            }
        }
        return result
    }

    public func clearCatalogAndActivity() async throws {
        try await mapErrors { try await client.query("TRUNCATE views, likes, movie_genres, movies", logger: logger) }
    }
}

/// A user's newest views and likes: prepared once per connection (a history read is the one
/// query a request can make), each half one range of its `(user_id, at DESC, movie_id)` index.
struct HistoryStatement: PostgresPreparedStatement {
    static let sql = """
        (SELECT 0, movie_id, at FROM views WHERE user_id = $1 AND at >= $2 ORDER BY at DESC, movie_id LIMIT $3)
        UNION ALL
        (SELECT 1, movie_id, at FROM likes WHERE user_id = $1 AND at >= $2 ORDER BY at DESC, movie_id LIMIT $3)
        ORDER BY 1, 3 DESC, 2
        """

    typealias Row = (Int, Int, Date)

    var userID: String
    var since: Date
    var limit: Int

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 3)
        bindings.append(userID)
        bindings.append(since)
        bindings.append(limit)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        try row.decode(Row.self)
    }
}
