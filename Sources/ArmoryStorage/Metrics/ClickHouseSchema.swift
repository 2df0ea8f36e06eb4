/// The tables ``ClickHouseMetricsStore`` reads and writes, on one server or across a cluster.
///
/// Queries name three tables, `events`, `event_hours` and `arm_period_hours`, in either shape:
/// - on one server they are the tables themselves;
/// - on a cluster (`ARMORY_CLICKHOUSE_CLUSTER`) they are `Distributed` tables over replicated
///   `*_local` tables on every server, made `ON CLUSTER`: the same statements read and write
///   every shard, and each shard's replicas copy each other through ZooKeeper.
///
/// A decision's events all go to one shard (the sharding key is its id). That is not needed for
/// correct totals, which ClickHouse merges across shards, but keeps each decision's rows where
/// its group is made.
enum ClickHouseSchema {
    /// The statements that make the tables on one server, where missing.
    static let singleServerStatements = [
        """
        CREATE TABLE IF NOT EXISTS events (\(eventColumns)) ENGINE = ReplacingMergeTree
        PARTITION BY toYYYYMM(decision_time) ORDER BY \(eventOrder)
        """,
        """
        CREATE MATERIALIZED VIEW IF NOT EXISTS event_hours
        ENGINE = AggregatingMergeTree ORDER BY (experiment, hour)
        AS \(eventHoursSelect(from: "events"))
        """,
        """
        CREATE TABLE IF NOT EXISTS arm_period_hours (\(armPeriodHourColumns)) ENGINE = ReplacingMergeTree(version)
        ORDER BY \(armPeriodHourOrder)
        """,
    ]

    /// The statements that make the tables across `cluster`, in `database`, where missing. Each
    /// replicated table's ZooKeeper path holds the database, so two databases never share one
    /// (``clusterDatabaseProblem(_:)`` keeps the name to what a path can hold).
    static func clusterStatements(_ cluster: String, database: String) -> [String] {
        let on = "ON CLUSTER \(ClickHouseSQL.identifier(cluster))"
        let db = ClickHouseSQL.identifier(database)
        func replicated(_ engine: String, _ table: String, _ arguments: String = "") -> String {
            let path = ClickHouseSQL.literal("/clickhouse/tables/{shard}/\(database)/\(table)")
            return "Replicated\(engine)(\(path), '{replica}'\(arguments.isEmpty ? "" : ", " + arguments))"
        }
        func distributed(_ table: String, key: String) -> String {
            "CREATE TABLE IF NOT EXISTS \(db).\(table) \(on) AS \(db).\(table)_local "
                + "ENGINE = Distributed(\(ClickHouseSQL.identifier(cluster)), \(db), \(table)_local, \(key))"
        }
        return [
            "CREATE DATABASE IF NOT EXISTS \(db) \(on)",
            """
            CREATE TABLE IF NOT EXISTS \(db).events_local \(on) (\(eventColumns)) ENGINE = \(replicated("ReplacingMergeTree", "events_local"))
            PARTITION BY toYYYYMM(decision_time) ORDER BY \(eventOrder)
            """,
            distributed("events", key: "sipHash64(decision_id)"),
            """
            CREATE TABLE IF NOT EXISTS \(db).event_hours_local \(on) (experiment String, hour DateTime, last_insert AggregateFunction(max, DateTime))
            ENGINE = \(replicated("AggregatingMergeTree", "event_hours_local")) ORDER BY (experiment, hour)
            """,
            // Each server totals the inserts it takes; replication copies the totals with the rows.
            "CREATE MATERIALIZED VIEW IF NOT EXISTS \(db).event_hours_writer \(on) TO \(db).event_hours_local AS \(eventHoursSelect(from: "\(db).events_local"))",
            distributed("event_hours", key: "sipHash64(experiment)"),
            """
            CREATE TABLE IF NOT EXISTS \(db).arm_period_hours_local \(on) (\(armPeriodHourColumns))
            ENGINE = \(replicated("ReplacingMergeTree", "arm_period_hours_local", "version")) ORDER BY \(armPeriodHourOrder)
            """,
            distributed("arm_period_hours", key: "sipHash64(experiment)"),
        ]
    }

    /// The tables and the view ``clusterStatements(_:database:)`` makes: when all are there,
    /// starting does not wait on every server of the cluster (an `ON CLUSTER` statement does).
    static let clusterObjects = [
        "events_local", "events", "event_hours_local", "event_hours_writer", "event_hours", "arm_period_hours_local", "arm_period_hours",
    ]

    /// Settings every statement carries on a cluster:
    /// - an insert returns once every shard has its rows (not when the server it went to has
    ///   queued them), so an acknowledged event is stored and a failed insert is spooled;
    /// - inserts and reads go to the first replica of each shard that answers, in the order of
    ///   `<remote_servers>`, whichever server Armory talks to: a read then finds what was just
    ///   written, not a replica that has yet to copy it. The connect limit is generous because
    ///   ClickHouse's default passes over a first replica that is only busy, and the insert
    ///   that goes to the second may then be missing from a read of the first for a moment;
    /// - a read refuses a shard it cannot reach, and a replica further behind than
    ///   ``replicaDelayLimit`` (another replica of its shard answers, or the read fails), rather
    ///   than total part of the data.
    static let clusterSettings = [
        "insert_distributed_sync": "1",
        "load_balancing": "in_order",
        "prefer_localhost_replica": "0",
        "connect_timeout_with_failover_ms": "5000",
        "skip_unavailable_shards": "0",
        "max_replica_delay_for_distributed_queries": String(replicaDelayLimit),
        "fallback_to_stale_replicas_for_distributed_queries": "0",
    ]

    /// The most seconds a replica a read uses may be behind: the least ClickHouse takes (0 turns
    /// the check off). A replica counts as behind from when it knows of a part it has yet to
    /// fetch; with a greater limit, a read right after a shard returned missed that many
    /// seconds of its rows.
    static let replicaDelayLimit = 1

    /// How long after an hour's last insert its totals are still made again on a cluster, by
    /// default: a total made sooner may have read a replica that did not yet have that insert
    /// (up to ``replicaDelayLimit`` behind, plus the servers' clock difference).
    static let settlingSeconds: UInt32 = 120

    /// How long an `ON CLUSTER` statement waits for every server: less than the client's
    /// timeout, so ClickHouse's answer names the servers that did not finish.
    static let clusterStatementTimeout = 20

    /// Why `database` cannot hold the cluster's tables, or nil: its name goes into ZooKeeper
    /// paths, where `/` would add levels and `{…}` would be read as a macro.
    static func clusterDatabaseProblem(_ database: String) -> String? {
        database.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) ? nil
            : "the database name '\(database)' goes into ZooKeeper paths on a cluster: use letters, digits and _ only"
    }

    private static let eventColumns = """
        time DateTime, event_id String, decision_id String, decision_time DateTime, experiment String, arm String,
        config_version UInt32, weight_version UInt32, user_id String, movie_id Int64,
        type String, value Float64, position Int32, items Array(Int64), served_by String DEFAULT '', failure String DEFAULT '',
        model String DEFAULT ''
        """

    private static let eventOrder = "(experiment, arm, decision_id, type, event_id)"

    private static let armPeriodHourColumns = """
        experiment String, hour DateTime, arm String, weight_version UInt32, trials UInt64, clicked UInt64, converted UInt64,
        engagement_sum Float64, engagement_squares Float64, timeouts UInt64, errors UInt64, computed_at DateTime, version UInt64
        """

    private static let armPeriodHourOrder = "(experiment, hour, arm, weight_version)"

    private static func eventHoursSelect(from table: String) -> String {
        "SELECT experiment, toStartOfHour(decision_time) AS hour, maxState(now()) AS last_insert FROM \(table) GROUP BY experiment, hour"
    }
}
