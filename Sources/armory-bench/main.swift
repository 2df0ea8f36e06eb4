import ArmoryCore
import Foundation

// Armory's benchmarks. Build everything first (the algorithm modules are separate libraries
// that `swift run` alone would not build), then run:
//
//     swift build -c release --scratch-path .build-release && .build-release/release/armory-bench [GROUP...]
//
// Groups: core (assignment, sampling, P(best), simulation), modules (what the modules read and
// their recommend latency, through the stores: SQLite, and the PostgreSQL below) and
// state (demo seeding, history reads, weight-version appends on SQLite and on the PostgreSQL
// of `scripts/services.sh`, found by ARMORY_TEST_DATABASE_URL) and metrics (EventWriter and
// aggregates on SQLite and that ClickHouse, ARMORY_TEST_CLICKHOUSE_URL) and redis (hot movies in that
// Redis, ARMORY_TEST_REDIS_URL) and models (ALS trained on the demo data, a version loaded and
// served) and artifacts (the S3 client against `rclone serve s3`, and rclone itself) and page (the
// results page of ten arms over 30 days, on SQLite and on PostgreSQL + ClickHouse) and cluster
// (events into and totals out of the ClickHouse cluster of `scripts/cluster.sh` against that one
// server); none named means all. Each line prints a figure, the target it is held to, and (where one
// exists) a baseline measured in the same run. Figures go to BENCHMARKS.md.

#if DEBUG
print("warning: this is a debug build; figures mean nothing. Build with -c release.")
#endif
let groups = Set(CommandLine.arguments.dropFirst())
print("Armory benchmarks, \(ProcessInfo.processInfo.activeProcessorCount) cores, \(Date())")
print("")

if groups.isEmpty || groups.contains("core") {
    benchmarkAssignment()
    benchmarkSampling()
    benchmarkProbabilityBest()
    benchmarkSimulation()
}
if groups.isEmpty || groups.contains("modules") {
    await benchmarkModules()
}
if groups.isEmpty || groups.contains("request") {
    benchmarkRequestPieces()
}
if groups.isEmpty || groups.contains("state") {
    await benchmarkState()
}
if groups.isEmpty || groups.contains("metrics") {
    await benchmarkMetrics()
}
if groups.isEmpty || groups.contains("redis") {
    await benchmarkRedis()
}
if groups.isEmpty || groups.contains("models") {
    await benchmarkModels()
}
if groups.isEmpty || groups.contains("artifacts") { await benchmarkArtifacts() }
if groups.isEmpty || groups.contains("page") { await benchmarkPage() }
if groups.isEmpty || groups.contains("cluster") { await benchmarkCluster() }
print("")
print("(sink \(sink))")
