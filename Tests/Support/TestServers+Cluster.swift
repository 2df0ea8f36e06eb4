import ArmoryStorage
import Foundation

/// The ClickHouse cluster `scripts/cluster.sh` starts: two shards of two replicas (s1r1, s1r2,
/// s2r1, s2r2) and ZooKeeper, named in ARMORY_TEST_CLICKHOUSE_CLUSTER and …_NODES.
extension TestServers {
    /// The cluster's name.
    public static func clusterName() throws -> String {
        try variable("ARMORY_TEST_CLICKHOUSE_CLUSTER", server: "the ClickHouse cluster")
    }

    /// A server of the cluster (`s1r1` …) as `http://user:password@host:port`, no database.
    public static func clusterNodeURL(_ node: String) throws -> String {
        let nodes = try variable("ARMORY_TEST_CLICKHOUSE_CLUSTER_NODES", server: "the ClickHouse cluster")
        for entry in nodes.split(separator: ",") where entry.hasPrefix("\(node)=") {
            return String(entry.dropFirst(node.count + 1))
        }
        throw SetupError("ARMORY_TEST_CLICKHOUSE_CLUSTER_NODES names no server \(node)")
    }

    /// A client of `node` (s1r1, which Armory talks to in the tests, by default) on a new, empty
    /// database made on every server of the cluster. Drop it with ``dropClusterDatabase(_:)``.
    public static func makeClusterDatabase(node: String = "s1r1") async throws -> ClickHouseClient {
        let name = freshName()
        let base = try ClickHouseClient(url: clusterNodeURL(node))
        try await base.execute("CREATE DATABASE \(name) ON CLUSTER \(try clusterName())")
        return try ClickHouseClient(url: clusterNodeURL(node) + "/" + name)
    }

    /// A client of `node` on `client`'s database: to read one replica's own tables.
    public static func clusterNode(_ node: String, database: String) throws -> ClickHouseClient {
        try ClickHouseClient(url: clusterNodeURL(node) + "/" + database)
    }

    /// Drops a database made by ``makeClusterDatabase(node:)`` on every server (with its
    /// replicas' entries in ZooKeeper).
    public static func dropClusterDatabase(_ client: ClickHouseClient) async {
        _ = try? await client.execute("DROP DATABASE IF EXISTS \(client.database) ON CLUSTER \(try clusterName())")
    }

    /// Waits until every server of the cluster has every part of `database`'s replicated tables
    /// that any of them has (`SYSTEM SYNC REPLICA`): a read then cannot meet a replica that has
    /// yet to copy an insert, which without it can happen for a moment when an insert went to a
    /// shard's second replica.
    public static func syncClusterReplicas(_ database: String) async throws {
        for node in ["s1r1", "s1r2", "s2r1", "s2r2"] {
            let client = try clusterNode(node, database: database)
            for table in ["events_local", "event_hours_local", "arm_period_hours_local"] {
                try await client.execute("SYSTEM SYNC REPLICA \(database).\(table)")
            }
        }
    }

    /// Runs `body` with the cluster's servers `nodes` stopped, and starts them again after it,
    /// whether it threw or not.
    public static func whileClusterServersStopped<T>(_ nodes: [String], _ body: () async throws -> T) async throws -> T {
        let outcome: Result<T, any Error>
        do {
            for node in nodes { try runClusterScript("stop", node) }
            outcome = .success(try await body())
        } catch {
            outcome = .failure(error)
        }
        // Every one started again, even when stopping or starting another failed.
        let failed = nodes.filter { (try? runClusterScript("start", $0)) == nil }
        let result = try outcome.get()
        guard failed.isEmpty else { throw SetupError("cluster.sh could not start \(failed.joined(separator: ", ")) again") }
        return result
    }

    /// Runs `scripts/cluster.sh <command> <server>` (for the tests that stop a server of the cluster).
    public static func runClusterScript(_ command: String, _ server: String) throws {
        try runScript("cluster.sh", command, server)
    }
}

extension ServerOutageLock {
    /// The lock for the ClickHouse test cluster: its users share it, a test stopping one of its
    /// servers holds it alone.
    public static let cluster = ServerOutageLock()
}
