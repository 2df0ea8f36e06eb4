import ArmoryCore
import ArmoryKit
import Foundation
import GRDB

extension SQLiteStateStore {
    public func saveMovies(_ movies: [Movie]) async throws {
        try await write { db in
            let movie = try db.makeStatement(sql: "INSERT OR REPLACE INTO movies (id, title, year, genres) VALUES (?, ?, ?, ?)")
            let clear = try db.makeStatement(sql: "DELETE FROM movie_genres WHERE movie_id = ?")
            let genre = try db.makeStatement(sql: "INSERT OR IGNORE INTO movie_genres (genre, movie_id) VALUES (?, ?)")
            for item in movies {
                try movie.execute(arguments: [item.id, item.title, item.year, item.genres.joined(separator: "|")])
                try clear.execute(arguments: [item.id])
                for name in item.genres { try genre.execute(arguments: [name, item.id]) }
            }
        }
    }

    public func movies() async throws -> [Movie] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT id, title, year, genres FROM movies ORDER BY id").map { row in
                let genres: String = row["genres"]
                return Movie(id: row["id"], title: row["title"], genres: genres.isEmpty ? [] : genres.components(separatedBy: "|"), year: row["year"])
            }
        }
    }

    public func appendViews(_ events: [UserEvent]) async throws {
        try await append(events, to: "views")
    }

    public func appendLikes(_ events: [UserEvent]) async throws {
        try await append(events, to: "likes")
    }

    private func append(_ events: [UserEvent], to table: String) async throws {
        guard !events.isEmpty else { return }
        try await write { db in
            let insert = try db.makeStatement(sql: "INSERT INTO \(table) (user_id, movie_id, at) VALUES (?, ?, ?)")
            for event in events {
                try insert.execute(arguments: [event.userID, event.movieID, event.time.timeIntervalSince1970])
            }
        }
    }

    public func history(of userID: String, since: Date?, limit: Int) async throws -> UserHistory {
        let start = since?.timeIntervalSince1970 ?? -Double.greatestFiniteMagnitude
        return try await requestRead { db in
            func events(_ table: String) throws -> [HistoryEvent] {
                var events: [HistoryEvent] = []
                let statement = try db.cachedStatement(sql: Self.historySQL(table))
                let rows = try Row.fetchCursor(statement, arguments: [userID, start, limit])
                while let row = try rows.next() {
                    events.append(HistoryEvent(movieID: row[0], time: Date(timeIntervalSince1970: row[1])))
                }
                return events
            }
            return UserHistory(views: try events("views"), likes: try events("likes"))
        }
    }

    /// A user's newest events of one table: one range of its `(user_id, at DESC, movie_id)` index.
    static func historySQL(_ table: String) -> String {
        "SELECT movie_id, at FROM \(table) WHERE user_id = ? AND at >= ? ORDER BY at DESC, movie_id LIMIT ?"
    }

    public func popularMovies(genre: String?, since: Date?, limit: Int) async throws -> [MovieCount] {
        let start = since?.timeIntervalSince1970 ?? -Double.greatestFiniteMagnitude
        return try await read { db in
            let rows: [Row]
            if let genre {
                rows = try Row.fetchAll(db, sql: """
                    SELECT v.movie_id, count(*) AS n FROM views v JOIN movie_genres g ON g.movie_id = v.movie_id AND g.genre = ?
                    WHERE v.at >= ? GROUP BY v.movie_id ORDER BY n DESC, v.movie_id LIMIT ?
                    """, arguments: [genre, start, limit])
            } else if since != nil {
                // Left to itself, SQLite walks views_by_movie to avoid sorting for the GROUP BY and
                // reads every view's row for its time, whatever the window. The time index holds
                // both columns and only the window's range is read.
                rows = try Row.fetchAll(db, sql: """
                    SELECT movie_id, count(*) AS n FROM views INDEXED BY views_by_time WHERE at >= ?
                    GROUP BY movie_id ORDER BY n DESC, movie_id LIMIT ?
                    """, arguments: [start, limit])
            } else {
                // All time: views_by_movie in order, counted as it goes, with no time to read.
                rows = try Row.fetchAll(db, sql: """
                    SELECT movie_id, count(*) AS n FROM views INDEXED BY views_by_movie
                    GROUP BY movie_id ORDER BY n DESC, movie_id LIMIT ?
                    """, arguments: [limit])
            }
            return rows.map { MovieCount(movieID: $0["movie_id"], count: $0["n"]) }
        }
    }

    public func watches() async throws -> Watches {
        try await read { db in
            var watches = Watches()
            let rows = try Row.fetchCursor(db, sql: "SELECT movie_id, user_id, at, 0 FROM views UNION ALL SELECT movie_id, user_id, at, 1 FROM likes")
            while let row = try rows.next() {
                watches.append(movieID: row[0], userID: row[1], time: Date(timeIntervalSince1970: row[2]), isLike: row[3] as Int == 1)
            }
            return watches
        }
    }

    public func counts() async throws -> StateCounts {
        try await read { db in
            StateCounts(
                movies: try Int.fetchOne(db, sql: "SELECT count(*) FROM movies") ?? 0,
                users: try Int.fetchOne(db, sql: "SELECT count(DISTINCT user_id) FROM views") ?? 0,
                views: try Int.fetchOne(db, sql: "SELECT count(*) FROM views") ?? 0,
                likes: try Int.fetchOne(db, sql: "SELECT count(*) FROM likes") ?? 0
            )
        }
    }

    public func clearCatalogAndActivity() async throws {
        try await write { db in
            for table in ["views", "likes", "movie_genres", "movies"] { try db.execute(sql: "DELETE FROM \(table)") }
        }
    }
}
