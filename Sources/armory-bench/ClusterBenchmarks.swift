import ArmoryCore
import ArmoryStorage
import Foundation
import Logging

/// Events into, and totals out of, the ClickHouse cluster of `scripts/cluster.sh` (two shards
/// of two replicas, ARMORY_TEST_CLICKHOUSE_CLUSTER and …_NODES) against the single ClickHouse
/// server of `scripts/services.sh` (ARMORY_TEST_CLICKHOUSE_URL) in the same run, alternating
/// rounds. On one machine every server shares its cores, so the cluster's figures are a floor
/// for servers of their own.
func benchmarkCluster() async {
    let environment = ProcessInfo.processInfo.environment
    guard let single = environment["ARMORY_TEST_CLICKHOUSE_URL"], let cluster = environment["ARMORY_TEST_CLICKHOUSE_CLUSTER"],
          let node = environment["ARMORY_TEST_CLICKHOUSE_CLUSTER_NODES"]?.split(separator: ",").first?.split(separator: "=", maxSplits: 1).last,
          var singleBase = URLComponents(string: single) else {
        report("cluster", "needs ARMORY_TEST_CLICKHOUSE_URL and ARMORY_TEST_CLICKHOUSE_CLUSTER(_NODES): run scripts/services.sh and "
               + "scripts/cluster.sh and source both env files", verdict: false)
        return
    }
    singleBase.path = ""
    let quiet = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
    let events = syntheticEvents(count: 600_000)
    let phases = (0..<10).map { ExperimentPhase(experiment: "exp-\($0)", since: Date(timeIntervalSince1970: 1_795_600_000)) }
    var rates: [String: [Double]] = [:]
    var reads: [String: (first: Double, warm: Double, settled: Double, trials: Int)] = [:]
    do {
        for round in 0..<2 {
            for target in ["single", "cluster"] {
                let name = "armory_bench_cluster_\(round)_\(target)_\(Int(Date().timeIntervalSince1970))"
                let base = try ClickHouseClient(url: target == "single" ? singleBase.string! : String(node))
                try await base.execute("CREATE DATABASE \(name)" + (target == "cluster" ? " ON CLUSTER \(cluster)" : ""))
                let client = try ClickHouseClient(url: (target == "single" ? singleBase.string! : String(node)) + "/" + name, timeout: .seconds(600))
                let store = ClickHouseMetricsStore(client: client, cluster: target == "cluster" ? cluster : nil)
                try await store.prepare()
                let spool = FileManager.default.temporaryDirectory.appendingPathComponent("armory-bench-spool-\(UUID().uuidString)").path
                rates[target, default: []].append(try await writerRate(events, store: store, spool: spool, logger: quiet))
                try? FileManager.default.removeItem(atPath: spool)
                if round == 1 {
                    let read = try await readTimes(store, phases)
                    // And once the hours have settled (as two minutes on would, on the cluster): a
                    // second after the last insert, when totals made in its second are made again.
                    try await Task.sleep(for: .milliseconds(1_100))
                    let settledStore = ClickHouseMetricsStore(client: client, cluster: store.cluster, settlingSeconds: 0)
                    let settled = try await readTimes(settledStore, phases).warm
                    reads[target] = (read.first, read.warm, settled, read.totals.map(\.trials).reduce(0, +))
                }
                _ = try? await base.execute("DROP DATABASE IF EXISTS \(name)" + (target == "cluster" ? " ON CLUSTER \(cluster)" : ""))
            }
        }
    } catch {
        report("cluster", "failed: \(error)", verdict: false)
        return
    }
    let singleRate = rates["single"]!.max()!, clusterRate = rates["cluster"]!.max()!
    report("cluster: EventWriter → 2 shards × 2 replicas, 600k events", String(format: "%.0f events/s (best of 2)", clusterRate),
           target: "≥ 50k/s")
    report("    per shard (half the rows each, copied to its second replica)", String(format: "%.0f rows/s", clusterRate / 2))
    report("    baseline: one server, same rows", String(format: "%.0f events/s (cluster/one %.2f)", singleRate, clusterRate / singleRate))
    guard let clusterRead = reads["cluster"], let singleRead = reads["single"] else { return }
    report("    totals, 10 experiments, cluster", String(format: "first %.0f ms; then %.0f ms while the hours settle, %.0f ms after (medians of 5)",
                                                      clusterRead.first * 1e3, clusterRead.warm * 1e3, clusterRead.settled * 1e3))
    report("    baseline: one server", String(format: "first %.0f ms; then %.0f ms in the second of the last insert, %.0f ms after",
                                                singleRead.first * 1e3, singleRead.warm * 1e3, singleRead.settled * 1e3))
    report("    trials counted on the cluster", "\(clusterRead.trials)", target: "= one server's, \(singleRead.trials)",
           verdict: clusterRead.trials == singleRead.trials)
}

/// The first read of `phases`' totals (which totals every closed hour), the median of five
/// after, and the totals.
func readTimes(_ store: ClickHouseMetricsStore, _ phases: [ExperimentPhase]) async throws -> (first: Double, warm: Double, totals: [ArmAggregate]) {
    let clock = ContinuousClock()
    var start = clock.now
    var totals = try await store.aggregates(phases)
    let first = seconds(clock.now - start)
    var times: [Double] = []
    for _ in 0..<5 {
        start = clock.now
        totals = try await store.aggregates(phases)
        times.append(seconds(clock.now - start))
    }
    return (first, times.sorted()[2], totals)
}
