import ArmoryCore
import Foundation
import NIOCore

/// The production ``MetricsStore``: events in a ClickHouse `ReplacingMergeTree`, inserted as
/// `RowBinary` batches over HTTP (gzip-compressed unless ClickHouse is on the loopback interface).
/// An impression's `event_id` is empty (``Event/storedEventID``): storing its decision id twice
/// cost ClickHouse about 14% more CPU per recommendation in the HTTP benchmark.
///
/// Totals are exact per decision (a replayed or retried event counts once), which means
/// grouping by decision: too slow to redo over all history every cycle. So decisions are
/// totalled per arm, weight version and hour they were made in (`arm_period_hours`), once the hour is over, and
/// an hour is totalled again whenever an event for one of its decisions arrives later (a late
/// click, a replayed spool): `event_hours`, a materialized view, keeps the server's time of the
/// last insert per experiment and hour (`now()` when the view runs; ClickHouse 18.16 does not
/// fill a column's DEFAULT for fields a JSONEachRow insert leaves out). Each read adds the fresh hourly totals to an exact count of the open
/// hours.
///
/// On a cluster (``cluster``) the tables are `Distributed` over replicated tables on every
/// server (``ClickHouseSchema``); every statement carries ``ClickHouseSchema/clusterSettings``,
/// so a read with a shard away fails rather than total part of the data, and an hour's totals
/// are made again until ``settlingSeconds`` after its last insert.
public struct ClickHouseMetricsStore: MetricsStore {
    /// The client.
    public let client: ClickHouseClient
    /// The cluster (a name in the servers' `<remote_servers>`) the tables span, or nil for one server.
    public let cluster: String?
    /// On a cluster, how long after an hour's last insert its totals are made again at each read.
    public let settlingSeconds: UInt32

    public var location: String { client.location + (cluster.map { ", cluster \($0)" } ?? "") }

    /// A store over `client`, on one server or across `cluster`; `settlingSeconds` (on a
    /// cluster only) replaces the default, two minutes.
    public init(client: ClickHouseClient, cluster: String? = nil, settlingSeconds: UInt32? = nil) {
        var client = client
        if cluster != nil { client.settings.merge(ClickHouseSchema.clusterSettings) { _, clusterSetting in clusterSetting } }
        self.client = client
        self.cluster = cluster
        self.settlingSeconds = cluster == nil ? 0 : settlingSeconds ?? ClickHouseSchema.settlingSeconds
    }

    public func prepare() async throws {
        try await checkShape()
        guard let cluster else {
            for statement in ClickHouseSchema.singleServerStatements { try await client.execute(statement) }
            // Tables made before impressions recorded who served them get the columns added (in
            // place, at once; older rows read the defaults). ClickHouse 18.16 has no
            // `ADD COLUMN IF NOT EXISTS`, so the catalog says what is missing.
            try await addMissingColumns(to: "events", ["served_by String DEFAULT ''", "failure String DEFAULT ''", "model String DEFAULT ''"])
            return
        }
        if let problem = ClickHouseSchema.clusterDatabaseProblem(client.database) {
            throw StorageError(.invalidLocation, "\(client.location): \(problem)")
        }
        let known = try await client.execute("SELECT count() FROM system.clusters WHERE cluster = \(ClickHouseSQL.literal(cluster)) FORMAT TSV")
        guard known.trimmingCharacters(in: .whitespacesAndNewlines) != "0" else {
            throw StorageError(.invalidLocation, "\(client.location) has no cluster named '\(cluster)' in its <remote_servers>")
        }
        let existing = try await client.execute("""
            SELECT name FROM system.tables WHERE database = \(ClickHouseSQL.literal(client.database)) FORMAT TabSeparated
            """).split(separator: "\n").map(String.init)
        guard !Set(ClickHouseSchema.clusterObjects).isSubset(of: existing) else { return }
        for statement in ClickHouseSchema.clusterStatements(cluster, database: client.database) {
            try await client.execute(statement, settings: ["distributed_ddl_task_timeout": String(ClickHouseSchema.clusterStatementTimeout)])
        }
    }

    /// Refuses a database whose tables were made for the other shape, or for another cluster:
    /// on a cluster, a single server's `events` would be written alone (`IF NOT EXISTS` keeps
    /// it); on one server, a cluster's `Distributed` tables would be written without waiting for
    /// the shards.
    private func checkShape() async throws {
        let engines = try await client.execute("""
            SELECT name, engine, engine_full FROM system.tables
            WHERE database = \(ClickHouseSQL.literal(client.database)) AND name IN ('events', 'event_hours', 'arm_period_hours')
            FORMAT TabSeparated
            """).split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        for row in engines where row.count == 3 {
            if (row[1] == "Distributed") != (cluster != nil) {
                throw StorageError(.invalidLocation, cluster == nil
                    ? "\(client.location) holds a cluster's tables (\(row[0]) is Distributed): set ARMORY_CLICKHOUSE_CLUSTER to their cluster"
                    : "\(client.location) holds one server's tables (\(row[0]) is a \(row[1])), not a cluster's: use a new database for the "
                        + "cluster (Armory does not move a server's events into one)")
            }
            if let cluster, !row[2].contains("Distributed(\(cluster),") {
                throw StorageError(.invalidLocation, "\(client.location): \(row[0]) spans another cluster (\(row[2])), not \(cluster)")
            }
        }
    }

    private func addMissingColumns(to table: String, _ columns: [String]) async throws {
        let existing = Set(try await client.execute("""
            SELECT name FROM system.columns WHERE database = \(ClickHouseSQL.literal(client.database)) AND table = \(ClickHouseSQL.literal(table))
            FORMAT TabSeparated
            """).split(separator: "\n").map(String.init))
        for column in columns where !existing.contains(String(column.prefix { $0 != " " })) {
            try await client.execute("ALTER TABLE \(table) ADD COLUMN \(column)")
        }
    }

    public func insert(_ events: [Event]) async throws {
        guard !events.isEmpty else { return }
        let rows = RowBinary.Chunks(events: events)
        try await client.insert(into: "events", columns: RowBinary.columns, rowBinary: rows, length: rows.length)
    }

    /// Per decision (whose events all carry its weight version), then per arm and weight version:
    /// `SELECT experiment, arm, weight_version, [<bucket name>,] trials, clicked, converted,
    /// engagement_sum, engagement_squares, timeouts, errors` over the events matching
    /// `condition`, grouped also by `bucket` (an expression of `decision_time` and its name) when
    /// given. Each decision's engagement counts each event id once (the first of its values the
    /// array holds), as SQLite's unique index keeps the first stored.
    static func exactTotals(prewhere: String? = nil, where condition: String, bucket: (expression: String, name: String)? = nil) -> String {
        let select = bucket.map { "\($0.expression) AS \($0.name), " } ?? ""
        let group = bucket.map { ", \($0.name)" } ?? ""
        return """
            SELECT experiment, arm, decision_weights AS weight_version, \(bucket.map { "\($0.name), " } ?? "")count() AS trials, sum(clicked) AS clicked, sum(converted) AS converted,
                   sum(engagement) AS engagement_sum, sum(engagement * engagement) AS engagement_squares,
                   sum(timed_out) AS timeouts, sum(errored) AS errors
            FROM (
              SELECT experiment, arm, max(weight_version) AS decision_weights, \(select)decision_id,
                     max(type = 'click') AS clicked, max(type = 'conversion') AS converted,
                     max(failure = 'timeout') AS timed_out, max(failure = 'error') AS errored,
                     groupArrayIf((event_id, value), type = 'engagement') AS engagements,
                     arraySum(arrayMap(pair -> tupleElement(pair, 2), arrayFilter((pair, index) ->
                       indexOf(arrayMap(other -> tupleElement(other, 1), engagements), tupleElement(pair, 1)) = index,
                       engagements, arrayEnumerate(engagements)))) AS engagement
              FROM events
              \(prewhere.map { "PREWHERE \($0)" } ?? "")
              WHERE \(condition)
              GROUP BY experiment, arm\(group), decision_id
            )
            GROUP BY experiment, arm, weight_version\(group)
            """
    }

    public func periodAggregates(_ phases: [ExperimentPhase]) async throws -> [ArmAggregate] {
        guard !phases.isEmpty else { return [] }
        let experiments = ClickHouseSQL.list(phases.map(\.experiment))
        let currentHour = try await refreshClosedHours(experiments)
        // One read: hourly totals for the hours inside each phase that are over, plus an exact
        // count of the rest (the phase's first, partial hour and the open hour).
        let closed = phases.map { phase in
            "(experiment = \(ClickHouseSQL.literal(phase.experiment)) AND hour >= \(ClickHouseSQL.literal(Self.hourAfter(phase.since))) "
                + "AND hour < toDateTime(\(currentHour)))"
        }.joined(separator: " OR ")
        let open = phases.map { phase in
            "(experiment = \(ClickHouseSQL.literal(phase.experiment)) AND decision_time >= \(ClickHouseSQL.literal(phase.since)) "
                + "AND (decision_time < \(ClickHouseSQL.literal(Self.hourAfter(phase.since))) OR decision_time >= toDateTime(\(currentHour))))"
        }.joined(separator: " OR ")
        // A cheap numeric filter first, so the per-phase conditions see only the open rows.
        let firstWholeHour = phases.map { Self.hourAfter($0.since) }.max()!
        let prefilter = "decision_time < \(ClickHouseSQL.literal(firstWholeHour)) OR decision_time >= toDateTime(\(currentHour))"
        let text = try await client.execute("""
            SELECT experiment, arm, weight_version, sum(trials) AS trials, sum(clicked) AS clicked, sum(converted) AS converted,
                   sum(engagement_sum) AS engagement_sum, sum(engagement_squares) AS engagement_squares,
                   sum(timeouts) AS timeouts, sum(errors) AS errors
            FROM (
              SELECT experiment, arm, weight_version, argMax(trials, (computed_at, version)) AS trials, argMax(clicked, (computed_at, version)) AS clicked,
                     argMax(converted, (computed_at, version)) AS converted,
                     argMax(engagement_sum, (computed_at, version)) AS engagement_sum,
                     argMax(engagement_squares, (computed_at, version)) AS engagement_squares,
                     argMax(timeouts, (computed_at, version)) AS timeouts, argMax(errors, (computed_at, version)) AS errors
              FROM arm_period_hours WHERE experiment IN \(experiments) AND (\(closed))
              GROUP BY experiment, hour, arm, weight_version
              UNION ALL
              \(Self.exactTotals(prewhere: prefilter, where: "experiment IN \(experiments) AND (\(open))"))
            )
            GROUP BY experiment, arm, weight_version
            ORDER BY experiment, arm, weight_version
            FORMAT JSONEachRow
            """, settings: ["output_format_json_quote_64bit_integers": "0"])
        return try Self.rows(text, as: AggregateRow.self).map(\.aggregate)
    }

    /// Totals again each hour of `experiments` that is over and whose totals are missing or
    /// older than its last event (the first read totals all of history once); returns the
    /// server's current hour, as Unix seconds.
    func refreshClosedHours(_ experiments: String) async throws -> UInt32 {
        // Which hours are over, and whether their totals are missing or older than their last event.
        let hoursText = try await client.execute("""
            SELECT experiment, toUInt32(hour) AS hour_start, toUInt32(last_insert) AS last_insert_at,
                   toUInt32(computed_at) AS computed, toUInt32(toStartOfHour(now())) AS current_hour
            FROM (SELECT experiment, hour, maxMerge(last_insert) AS last_insert FROM event_hours
                  WHERE experiment IN \(experiments) GROUP BY experiment, hour)
            ANY LEFT JOIN (SELECT experiment, hour, max(computed_at) AS computed_at FROM arm_period_hours
                           WHERE experiment IN \(experiments) GROUP BY experiment, hour)
            USING (experiment, hour)
            FORMAT JSONEachRow
            """, settings: ["output_format_json_quote_64bit_integers": "0"])
        let hours = try Self.rows(hoursText, as: HourRow.self)
        let currentHour = hours.first?.current_hour ?? UInt32(Date().timeIntervalSince1970 / 3_600) * 3_600
        let stale = hours.filter { $0.hour_start < currentHour && $0.computed <= $0.last_insert_at + settlingSeconds }
        if !stale.isEmpty {
            // The newest totals of an hour win: by the server's clock (the one the freshness check
            // uses), then by this process's microseconds for two made within one second.
            let version = UInt64(Date().timeIntervalSince1970 * 1_000_000)
            let which = stale.map { "(\(ClickHouseSQL.literal($0.experiment)), toDateTime(\($0.hour_start)))" }.joined(separator: ", ")
            try await client.execute("""
                INSERT INTO arm_period_hours (experiment, arm, weight_version, hour, trials, clicked, converted, engagement_sum,
                                              engagement_squares, timeouts, errors, computed_at, version)
                SELECT experiment, arm, weight_version, hour, trials, clicked, converted, engagement_sum, engagement_squares, timeouts, errors,
                       now(), \(version)
                FROM (\(Self.exactTotals(where: "(experiment, toStartOfHour(decision_time)) IN (\(which))", bucket: ("toStartOfHour(decision_time)", "hour"))))
                """)
        }
        return currentHour
    }

    /// The first whole hour at or after `time`.
    static func hourAfter(_ time: Date) -> Date {
        let seconds = max(time.timeIntervalSince1970, 0)
        return Date(timeIntervalSince1970: (seconds / 3_600).rounded(.up) * 3_600)
    }

    private struct HourRow: Decodable {
        var experiment: String
        var hour_start: UInt32
        var last_insert_at: UInt32
        var computed: UInt32
        var current_hour: UInt32
    }

    public func modelAggregates(experiment: String, since: Date) async throws -> [ModelAggregate] {
        let text = try await client.execute("""
            SELECT arm, model, count() AS trials, sum(clicked) AS clicked, sum(converted) AS converted, sum(engagement) AS engagement
            FROM (
              SELECT arm, decision_id, max(model) AS model, max(type = 'click') AS clicked, max(type = 'conversion') AS converted,
                     sumIf(value, type = 'engagement') AS engagement, max(type = 'impression') AS shown
              FROM events
              WHERE experiment = \(ClickHouseSQL.literal(experiment)) AND decision_time >= \(ClickHouseSQL.literal(since))
              GROUP BY arm, decision_id
            )
            WHERE shown = 1
            GROUP BY arm, model
            ORDER BY arm, model
            FORMAT JSONEachRow
            """, settings: ["output_format_json_quote_64bit_integers": "0"])
        return try Self.rows(text, as: ModelRow.self).map {
            ModelAggregate(arm: $0.arm, model: $0.model, trials: $0.trials, clicked: $0.clicked, converted: $0.converted, engagementSum: $0.engagement)
        }
    }

    private struct ModelRow: Decodable {
        var arm: String
        var model: String
        var trials: Int
        var clicked: Int
        var converted: Int
        var engagement: Double
    }

    /// An arm's totals as a JSONEachRow line; `bucket` only in a time series.
    struct AggregateRow: Decodable {
        var experiment: String
        var arm: String
        var weight_version: Int
        var bucket: Int?
        var trials: Int
        var clicked: Int
        var converted: Int
        var engagement_sum: Double
        var engagement_squares: Double
        var timeouts: Int
        var errors: Int

        var aggregate: ArmAggregate {
            ArmAggregate(experiment: experiment, arm: arm, trials: trials, clicked: clicked, converted: converted, engagementSum: engagement_sum,
                         engagementSumOfSquares: engagement_squares, timeouts: timeouts, errors: errors, weightVersion: weight_version)
        }
    }

    static func rows<T: Decodable>(_ text: String, as type: T.Type) throws -> [T] {
        let decoder = JSONDecoder()
        return try text.split(separator: "\n").map { try decoder.decode(T.self, from: Data($0.utf8)) }
    }
}
