import ArmoryCore
import Foundation
import GRDB

/// The embedded ``MetricsStore``: events in a SQLite file (`./.armory/metrics.sqlite` by
/// default).
///
/// Rows are appended in the order they arrive (a rowid table), and the only other structure
/// every impression touches is an index by experiment and decision time, which also grows at
/// its end: nothing an impression writes lands on a random page of a file that grows by
/// megabytes a second under load (random page writes are what made a layout keyed by event id
/// dear). So repeats are handled by kind:
/// a repeated outcome, view or like is ignored on insert (a unique index on the decision and
/// event id of those rows only); a repeated impression is stored again and counts once, because totals
/// count decisions. An impression's event id is its decision id, so it is not stored twice.
public final class SQLiteMetricsStore: MetricsStore {
    /// The default file, relative to the working directory.
    public static let defaultPath = ".armory/metrics.sqlite"

    /// The file's layout, kept in `PRAGMA user_version`: 0 for a new file or the first layout
    /// (keyed by event id), which ``prepare()`` rewrites into this one; 1 before impressions
    /// recorded which arm served them and how the module failed (two columns added); 2 while
    /// an event id was unique across all decisions rather than within its decision.
    static let layoutVersion = 4

    private let pool: DatabasePool
    private let path: String

    public var location: String { "SQLite file \(path)" }

    /// Opens (creating when missing) the file at `path`.
    public init(path: String = SQLiteMetricsStore.defaultPath) throws {
        self.path = path
        do {
            try FileManager.default.createDirectory(at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
            var configuration = Configuration()
            configuration.busyMode = .timeout(30)
            configuration.prepareDatabase { db in
                try db.execute(sql: "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -16384")
            }
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw StorageError(.invalidLocation, "cannot open SQLite file \(path): \(error)")
        }
    }

    /// Creates the table, or brings a file of an earlier layout to this one (in one transaction:
    /// a failure leaves the file as it was).
    public func prepare() async throws {
        let path = path
        try await pool.write { db in
            let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
            guard version <= Self.layoutVersion else {
                throw StorageError(.schemaTooNew, "SQLite file \(path) has metrics layout \(version), newer than this Armory's \(Self.layoutVersion)")
            }
            switch version {
            case Self.layoutVersion:
                return
            case 1, 2, 3:
                if version == 1 {
                    try db.execute(sql: """
                        ALTER TABLE events ADD COLUMN served_by TEXT NOT NULL DEFAULT '';
                        ALTER TABLE events ADD COLUMN failure TEXT NOT NULL DEFAULT ''
                        """)
                }
                if version <= 2 {
                    try db.execute(sql: "DROP INDEX IF EXISTS events_by_id; \(Self.uniqueEventIndex)")
                }
                try db.execute(sql: "ALTER TABLE events ADD COLUMN model TEXT NOT NULL DEFAULT ''")
            default:
                try Self.createTable(db)
            }
            try db.execute(sql: "PRAGMA user_version = \(Self.layoutVersion)")
        }
    }

    /// An event id is unique within its decision (within all views and likes, which have none),
    /// the rule the ClickHouse store applies too: two clients may both call their click "c-1".
    static let uniqueEventIndex = "CREATE UNIQUE INDEX events_unique_per_decision ON events (decision_id, event_id) WHERE event_id IS NOT NULL"

    /// Creates the table, moving the rows of a first-layout table into it.
    private static func createTable(_ db: Database) throws {
        let firstLayout = try db.tableExists("events")
        if firstLayout {
            try db.execute(sql: """
                DROP INDEX IF EXISTS events_by_decision;
                DROP INDEX IF EXISTS events_by_time;
                ALTER TABLE events RENAME TO events_first_layout
                """)
        }
        try db.execute(sql: """
            CREATE TABLE events (
              type TEXT NOT NULL, event_id TEXT, time REAL NOT NULL, decision_id TEXT NOT NULL, decision_time REAL NOT NULL,
              experiment TEXT NOT NULL, arm TEXT NOT NULL, config_version INTEGER NOT NULL, weight_version INTEGER NOT NULL,
              user_id TEXT NOT NULL, movie_id INTEGER NOT NULL, value REAL NOT NULL, position INTEGER NOT NULL, items TEXT NOT NULL,
              served_by TEXT NOT NULL DEFAULT '', failure TEXT NOT NULL DEFAULT '', model TEXT NOT NULL DEFAULT '',
              CHECK ((type = 'impression') = (event_id IS NULL))
            );
            \(uniqueEventIndex);
            CREATE INDEX events_by_time ON events (experiment, decision_time);
            """)
        if firstLayout {
            try db.execute(sql: """
                INSERT INTO events (type, event_id, time, decision_id, decision_time, experiment, arm, config_version,
                                    weight_version, user_id, movie_id, value, position, items)
                SELECT type, CASE WHEN type = 'impression' THEN NULL ELSE event_id END, time, decision_id, decision_time,
                       experiment, arm, config_version, weight_version, user_id, movie_id, value, position, items
                FROM events_first_layout ORDER BY decision_time;
                DROP TABLE events_first_layout
                """)
        }
    }

    public func insert(_ events: [Event]) async throws {
        guard !events.isEmpty else { return }
        try await pool.write { db in
            let statement = try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO events (type, event_id, time, decision_id, decision_time, experiment, arm, config_version,
                                              weight_version, user_id, movie_id, value, position, items, served_by, failure, model)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for event in events {
                try statement.execute(arguments: [
                    event.type.rawValue, event.storedEventID, event.time.timeIntervalSince1970,
                    event.decisionID, event.decisionTime.timeIntervalSince1970, event.experiment, event.arm,
                    event.configVersion, event.weightVersion, event.userID, event.movieID, event.value, event.position,
                    event.items.map(String.init).joined(separator: ","), event.servedBy ?? "", event.moduleFailure?.rawValue ?? "", event.model ?? "",
                ])
            }
        }
    }

    /// `(experiment = ? AND decision_time >= ?) OR …` for `phases`, with its arguments.
    private static func condition(_ phases: [ExperimentPhase]) -> (String, StatementArguments) {
        var arguments = StatementArguments()
        for phase in phases { arguments += [phase.experiment, phase.since.timeIntervalSince1970] }
        return (phases.map { _ in "(experiment = ? AND decision_time >= ?)" }.joined(separator: " OR "), arguments)
    }

    public func periodAggregates(_ phases: [ExperimentPhase]) async throws -> [ArmAggregate] {
        guard !phases.isEmpty else { return [] }
        let (filter, arguments) = Self.condition(phases)
        return try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT experiment, arm, weight_version, count(*) AS trials, sum(clicked) AS clicked, sum(converted) AS converted,
                       sum(engagement) AS engagement, sum(engagement * engagement) AS engagement_squares,
                       sum(timed_out) AS timeouts, sum(errored) AS errors
                FROM (SELECT experiment, arm, max(weight_version) AS weight_version, decision_id,
                             max(type = 'click') AS clicked, max(type = 'conversion') AS converted,
                             max(failure = 'timeout') AS timed_out, max(failure = 'error') AS errored,
                             total(CASE WHEN type = 'engagement' THEN value END) AS engagement
                      FROM events WHERE \(filter) GROUP BY experiment, arm, decision_id)
                GROUP BY experiment, arm, weight_version ORDER BY experiment, arm, weight_version
                """, arguments: arguments)
                .map { row in
                    ArmAggregate(experiment: row["experiment"], arm: row["arm"], trials: row["trials"], clicked: row["clicked"],
                                 converted: row["converted"], engagementSum: row["engagement"], engagementSumOfSquares: row["engagement_squares"],
                                 timeouts: row["timeouts"], errors: row["errors"], weightVersion: row["weight_version"])
                }
        }
    }

    public func firstAssignments(_ phases: [ExperimentPhase]) async throws -> [FirstAssignment] {
        guard !phases.isEmpty else { return [] }
        let (filter, arguments) = Self.condition(phases)
        // SQLite takes the bare columns of a min() group from the row holding the minimum.
        return try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT experiment, arm, weight_version, count(*) AS units
                FROM (SELECT experiment, user_id, arm, weight_version, min(decision_time)
                      FROM events WHERE type = 'impression' AND (\(filter)) GROUP BY experiment, user_id)
                GROUP BY experiment, arm, weight_version ORDER BY experiment, arm, weight_version
                """, arguments: arguments)
                .map { FirstAssignment(experiment: $0["experiment"], arm: $0["arm"], weightVersion: $0["weight_version"], units: $0["units"]) }
        }
    }

    public func modelAggregates(experiment: String, since: Date) async throws -> [ModelAggregate] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT arm, model, count(*) AS trials, sum(clicked) AS clicked, sum(converted) AS converted, total(engagement) AS engagement
                FROM (SELECT arm, decision_id, max(model) AS model, max(type = 'click') AS clicked, max(type = 'conversion') AS converted,
                             total(CASE WHEN type = 'engagement' THEN value END) AS engagement
                      FROM events WHERE experiment = ? AND decision_time >= ? GROUP BY arm, decision_id
                      HAVING max(type = 'impression') = 1)
                GROUP BY arm, model ORDER BY arm, model
                """, arguments: [experiment, since.timeIntervalSince1970])
                .map { row in
                    ModelAggregate(arm: row["arm"], model: row["model"], trials: row["trials"], clicked: row["clicked"],
                                   converted: row["converted"], engagementSum: row["engagement"])
                }
        }
    }

    public func timeSeries(_ phase: ExperimentPhase, bucketSeconds: Int, until: Date) async throws -> [TimeSeriesPoint] {
        let width = max(bucketSeconds, 1)
        return try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT bucket, arm, count(*) AS trials, sum(clicked) AS clicked, sum(converted) AS converted,
                       sum(engagement) AS engagement, sum(engagement * engagement) AS engagement_squares,
                       sum(timed_out) AS timeouts, sum(errored) AS errors
                FROM (SELECT arm, decision_id, CAST(min(decision_time) / ? AS INTEGER) * ? AS bucket,
                             max(type = 'click') AS clicked, max(type = 'conversion') AS converted,
                             max(failure = 'timeout') AS timed_out, max(failure = 'error') AS errored,
                             total(CASE WHEN type = 'engagement' THEN value END) AS engagement
                      FROM events WHERE experiment = ? AND decision_time >= ? AND decision_time <= ? GROUP BY arm, decision_id)
                GROUP BY bucket, arm ORDER BY bucket, arm
                """, arguments: [width, width, phase.experiment, phase.since.timeIntervalSince1970, until.timeIntervalSince1970])
                .map { row in
                    TimeSeriesPoint(start: Date(timeIntervalSince1970: row["bucket"]), totals: ArmAggregate(
                        experiment: phase.experiment, arm: row["arm"], trials: row["trials"], clicked: row["clicked"],
                        converted: row["converted"], engagementSum: row["engagement"], engagementSumOfSquares: row["engagement_squares"],
                        timeouts: row["timeouts"], errors: row["errors"]))
                }
        }
    }
}
