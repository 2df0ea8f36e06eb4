/// Armory's schema, as numbered migrations written for each store's SQL dialect. A migration
/// is never edited once released: a change is a new migration with the next number.
enum Migrations {
    struct Migration {
        /// 1, 2, 3, … in order.
        let version: Int
        /// What it does, recorded with it.
        let name: String
        /// Its statements for PostgreSQL.
        let postgres: [String]
        /// Its statements for SQLite.
        let sqlite: [String]
    }

    /// The tables whose rows are never updated or deleted.
    static let appendOnlyTables = ["config_versions", "weight_versions", "status_changes", "audit_log"]

    /// The indexes of views and likes as the latest migration leaves them (the same statement
    /// for both stores), by name. A bulk load drops them and builds them again after (a sort is
    /// far cheaper than maintaining three indexes row by row), and every start creates any
    /// that is missing (a bulk load stopped midway).
    static let activityIndexes: [(name: String, columns: String)] = [
        ("views_by_user", "views (user_id, at DESC, movie_id)"), ("views_by_time", "views (at, movie_id)"),
        ("views_by_movie", "views (movie_id, user_id)"), ("likes_by_user", "likes (user_id, at DESC, movie_id)"),
        ("likes_by_movie", "likes (movie_id, user_id)"),
    ]

    static let all: [Migration] = [
        Migration(
            version: 1,
            name: "catalog, views and likes, experiment history",
            postgres: [
                "CREATE TABLE movies (id bigint PRIMARY KEY, title text NOT NULL, year integer NOT NULL, genres text NOT NULL)",
                "CREATE TABLE movie_genres (genre text NOT NULL, movie_id bigint NOT NULL, PRIMARY KEY (genre, movie_id))",
                "CREATE TABLE views (user_id text NOT NULL, movie_id bigint NOT NULL, at timestamptz NOT NULL)",
                "CREATE INDEX views_by_user ON views (user_id, at DESC)",
                "CREATE INDEX views_by_time ON views (at, movie_id)",
                "CREATE INDEX views_by_movie ON views (movie_id, user_id)",
                "CREATE TABLE likes (user_id text NOT NULL, movie_id bigint NOT NULL, at timestamptz NOT NULL)",
                "CREATE INDEX likes_by_user ON likes (user_id, at DESC)",
                "CREATE INDEX likes_by_movie ON likes (movie_id, user_id)",
                """
                CREATE TABLE config_versions (experiment text NOT NULL, version integer NOT NULL, sha256 text NOT NULL,
                  yaml text NOT NULL, parsed jsonb NOT NULL, source_file text NOT NULL, actor text NOT NULL,
                  created_at timestamptz NOT NULL, PRIMARY KEY (experiment, version))
                """,
                """
                CREATE TABLE weight_versions (experiment text NOT NULL, version integer NOT NULL, config_version integer NOT NULL,
                  reason text NOT NULL, actor text NOT NULL, created_at timestamptz NOT NULL, body jsonb NOT NULL,
                  PRIMARY KEY (experiment, version))
                """,
                """
                CREATE TABLE status_changes (experiment text NOT NULL, version integer NOT NULL, status text NOT NULL,
                  pinned_arm text, actor text NOT NULL, reason text NOT NULL, created_at timestamptz NOT NULL,
                  PRIMARY KEY (experiment, version))
                """,
                """
                CREATE TABLE audit_log (id bigserial PRIMARY KEY, experiment text, actor text NOT NULL, action text NOT NULL,
                  reason text NOT NULL, detail text NOT NULL, created_at timestamptz NOT NULL)
                """,
                "CREATE INDEX audit_by_experiment ON audit_log (experiment, id)",
                """
                CREATE FUNCTION armory_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION '% is append-only: its rows are never updated or deleted', TG_TABLE_NAME; END $$
                """,
            ] + appendOnlyTables.map {
                "CREATE TRIGGER \($0)_append_only BEFORE UPDATE OR DELETE ON \($0) FOR EACH ROW EXECUTE FUNCTION armory_refuse_change()"
            },
            sqlite: [
                "CREATE TABLE movies (id INTEGER PRIMARY KEY, title TEXT NOT NULL, year INTEGER NOT NULL, genres TEXT NOT NULL)",
                "CREATE TABLE movie_genres (genre TEXT NOT NULL, movie_id INTEGER NOT NULL, PRIMARY KEY (genre, movie_id)) WITHOUT ROWID",
                "CREATE TABLE views (user_id TEXT NOT NULL, movie_id INTEGER NOT NULL, at REAL NOT NULL)",
                "CREATE INDEX views_by_user ON views (user_id, at DESC)",
                "CREATE INDEX views_by_time ON views (at, movie_id)",
                "CREATE INDEX views_by_movie ON views (movie_id, user_id)",
                "CREATE TABLE likes (user_id TEXT NOT NULL, movie_id INTEGER NOT NULL, at REAL NOT NULL)",
                "CREATE INDEX likes_by_user ON likes (user_id, at DESC)",
                "CREATE INDEX likes_by_movie ON likes (movie_id, user_id)",
                """
                CREATE TABLE config_versions (experiment TEXT NOT NULL, version INTEGER NOT NULL, sha256 TEXT NOT NULL,
                  yaml TEXT NOT NULL, parsed TEXT NOT NULL, source_file TEXT NOT NULL, actor TEXT NOT NULL,
                  created_at REAL NOT NULL, PRIMARY KEY (experiment, version))
                """,
                """
                CREATE TABLE weight_versions (experiment TEXT NOT NULL, version INTEGER NOT NULL, config_version INTEGER NOT NULL,
                  reason TEXT NOT NULL, actor TEXT NOT NULL, created_at REAL NOT NULL, body TEXT NOT NULL,
                  PRIMARY KEY (experiment, version))
                """,
                """
                CREATE TABLE status_changes (experiment TEXT NOT NULL, version INTEGER NOT NULL, status TEXT NOT NULL,
                  pinned_arm TEXT, actor TEXT NOT NULL, reason TEXT NOT NULL, created_at REAL NOT NULL,
                  PRIMARY KEY (experiment, version))
                """,
                """
                CREATE TABLE audit_log (id INTEGER PRIMARY KEY AUTOINCREMENT, experiment TEXT, actor TEXT NOT NULL,
                  action TEXT NOT NULL, reason TEXT NOT NULL, detail TEXT NOT NULL, created_at REAL NOT NULL)
                """,
                "CREATE INDEX audit_by_experiment ON audit_log (experiment, id)",
            ] + appendOnlyTables.flatMap { table in
                ["UPDATE", "DELETE"].map { operation in
                    """
                    CREATE TRIGGER \(table)_no_\(operation.lowercased()) BEFORE \(operation) ON \(table)
                    BEGIN SELECT RAISE(ABORT, '\(table) is append-only: its rows are never updated or deleted'); END
                    """
                }
            }
        ),
        Migration(
            version: 2,
            name: "users' views and likes read from their index alone",
            // A history read asks for a user's newest movies: with the movie in the index, that
            // is one range of the index, not a visit to the table's row for every event.
            postgres: [
                "DROP INDEX views_by_user", "CREATE INDEX views_by_user ON views (user_id, at DESC, movie_id)",
                "DROP INDEX likes_by_user", "CREATE INDEX likes_by_user ON likes (user_id, at DESC, movie_id)",
            ],
            sqlite: [
                "DROP INDEX views_by_user", "CREATE INDEX views_by_user ON views (user_id, at DESC, movie_id)",
                "DROP INDEX likes_by_user", "CREATE INDEX likes_by_user ON likes (user_id, at DESC, movie_id)",
            ]
        ),
        Migration(
            version: 3,
            name: "model registry: model versions and alias moves",
            // Bodies are JSON (a version's parameters, training window and offline figures), as
            // weight versions' are; the columns beside them are what lookups and order need.
            postgres: [
                """
                CREATE TABLE model_versions (name text NOT NULL, version integer NOT NULL, created_at timestamptz NOT NULL,
                  body jsonb NOT NULL, PRIMARY KEY (name, version))
                """,
                """
                CREATE TABLE model_alias_moves (name text NOT NULL, alias text NOT NULL, move integer NOT NULL, version integer NOT NULL,
                  created_at timestamptz NOT NULL, body jsonb NOT NULL, PRIMARY KEY (name, alias, move))
                """,
            ] + modelTables.map {
                "CREATE TRIGGER \($0)_append_only BEFORE UPDATE OR DELETE ON \($0) FOR EACH ROW EXECUTE FUNCTION armory_refuse_change()"
            },
            sqlite: [
                """
                CREATE TABLE model_versions (name TEXT NOT NULL, version INTEGER NOT NULL, created_at REAL NOT NULL,
                  body TEXT NOT NULL, PRIMARY KEY (name, version))
                """,
                """
                CREATE TABLE model_alias_moves (name TEXT NOT NULL, alias TEXT NOT NULL, move INTEGER NOT NULL, version INTEGER NOT NULL,
                  created_at REAL NOT NULL, body TEXT NOT NULL, PRIMARY KEY (name, alias, move))
                """,
            ] + modelTables.flatMap { table in
                ["UPDATE", "DELETE"].map { operation in
                    """
                    CREATE TRIGGER \(table)_no_\(operation.lowercased()) BEFORE \(operation) ON \(table)
                    BEGIN SELECT RAISE(ABORT, '\(table) is append-only: its rows are never updated or deleted'); END
                    """
                }
            }
        ),
        Migration(
            version: 4,
            name: "append-only history also refuses REPLACE (SQLite)",
            // SQLite's REPLACE deletes the row it replaces without firing DELETE triggers, so
            // an insert over an existing key is refused before it happens. PostgreSQL has no
            // REPLACE; its ON CONFLICT DO UPDATE fires the UPDATE trigger already.
            postgres: [],
            sqlite: historyKeys.map { table, key in
                let match = key.map { "\($0) IS NEW.\($0)" }.joined(separator: " AND ")
                return """
                    CREATE TRIGGER \(table)_no_replace BEFORE INSERT ON \(table)
                    WHEN EXISTS (SELECT 1 FROM \(table) WHERE \(match))
                    BEGIN SELECT RAISE(ABORT, '\(table) is append-only: a row with this key exists and is never replaced'); END
                    """
            }
        ),
    ]

    /// Each append-only table and the columns of its key.
    static let historyKeys: [(table: String, key: [String])] = [
        ("config_versions", ["experiment", "version"]), ("weight_versions", ["experiment", "version"]),
        ("status_changes", ["experiment", "version"]), ("audit_log", ["id"]), ("model_versions", ["name", "version"]),
        ("model_alias_moves", ["name", "alias", "move"]),
    ]

    /// The model registry's tables, append-only like the experiment history.
    static let modelTables = ["model_versions", "model_alias_moves"]

    /// The schema version this build brings a database to.
    static var latestVersion: Int { all.last?.version ?? 0 }
}
