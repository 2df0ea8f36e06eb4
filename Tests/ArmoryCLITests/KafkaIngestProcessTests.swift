import ArmoryCore
import ArmoryStorage
import ArmoryTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `armory serve --role ingest` as a process of its own, killed without warning in the middle
/// of a stream: what it had inserted but not committed is read again, and counts once.
@Suite("armory serve --role ingest", .serialized)
struct KafkaIngestProcessTests {
    @Test("the ingest SIGKILLed mid-stream and started again: every event on the topic counts exactly once")
    func killedMidStream() async throws {
        try await ServerOutageLock.kafka.whileRunning {
            try await ServerOutageLock.clickHouse.whileRunning {
                let clickHouse = try await TestServers.makeClickHouseDatabase()
                do {
                    try await Self.killAndRestart(clickHouse)
                } catch {
                    await TestServers.dropClickHouseDatabase(clickHouse)
                    throw error
                }
                await TestServers.dropClickHouseDatabase(clickHouse)
            }
        }
    }

    static func killAndRestart(_ clickHouse: ClickHouseClient) async throws {
        let store = ClickHouseMetricsStore(client: clickHouse)
        try await store.prepare()
        // 12,000 decisions, every other one clicked: 18,000 events on the topic.
        let topic = KafkaTopic(name: TestServers.freshTopic("armory-ingest-kill"), partitions: 3)
        let client = KafkaClient(configuration: .init(brokers: try KafkaClient.Configuration.brokers(try TestServers.kafkaBrokers())))
        let queue = KafkaEventQueue(client: client, topic: topic)
        try await queue.prepare()
        let start = Date().addingTimeInterval(-600)
        var events: [Event] = []
        for index in 0..<12_000 {
            let decision = "kill-d\(index)"
            let time = start.addingTimeInterval(Double(index % 500))
            let arm = index % 3 == 0 ? "personal" : "popular"
            events.append(Event(eventID: decision, type: .impression, time: time, decisionID: decision, experiment: "killed", arm: arm,
                                configVersion: 1, weightVersion: 1, userID: "u\(index % 997)", items: [1, 2, 3]))
            if index % 2 == 0 {
                events.append(Event(eventID: "\(decision)-c", type: .click, time: time.addingTimeInterval(3), decisionID: decision,
                                    experiment: "killed", arm: arm, configVersion: 1, weightVersion: 1, decisionTime: time, userID: "u", movieID: 2))
            }
        }
        for batch in stride(from: 0, to: events.count, by: 5_000) { try await queue.insert(Array(events[batch..<min(batch + 5_000, events.count)])) }
        await client.close()

        let folder = try ServerLifecycleTests.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let environment = [
            "ARMORY_CLICKHOUSE_URL": try TestServers.clickHouseURL(database: clickHouse.database),
            "ARMORY_KAFKA_BROKERS": try TestServers.kafkaBrokers(), "ARMORY_KAFKA_TOPIC": topic.name,
            "ARMORY_KAFKA_GROUP": "\(topic.name)-ingest", "ARMORY_KAFKA_INGEST_BATCH": "1000",
        ]
        let arguments = ["--role", "ingest", "--port", "0", "--no-demo-catalog"]
        let first = try ServerLifecycleTests.ServeProcess(arguments, in: folder, environment: environment)
        // Killed as soon as a batch is in ClickHouse, long before all 18 are.
        var rowsAtKill = 0
        for _ in 0..<1_500 where rowsAtKill == 0 {
            rowsAtKill = Int(try await clickHouse.execute("SELECT count() FROM events").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            if rowsAtKill == 0 { try await Task.sleep(for: .milliseconds(20)) }
        }
        let killed = first.stop(with: SIGKILL)
        #expect(killed.status == 128 + SIGKILL)
        #expect(rowsAtKill > 0 && rowsAtKill < events.count, "killed mid-stream: \(rowsAtKill) of \(events.count) rows in; \(first.output.suffix(2_000))")

        let second = try ServerLifecycleTests.ServeProcess(arguments, in: folder, environment: environment)
        defer { _ = second.stop(with: SIGTERM) }
        let phase = ExperimentPhase(experiment: "killed", since: start.addingTimeInterval(-1))
        var totals: [String: (trials: Int, clicked: Int)] = [:]
        let expected = ["personal": (trials: 4_000, clicked: 2_000), "popular": (trials: 8_000, clicked: 4_000)]
        for _ in 0..<300 where totals.mapValues({ "\($0)" }) != expected.mapValues({ "\($0)" }) {
            try await Task.sleep(for: .milliseconds(200))
            totals = Dictionary(uniqueKeysWithValues: try await store.aggregates([phase]).map { ($0.arm, ($0.trials, $0.clicked)) })
        }
        #expect(totals.mapValues { "\($0)" } == expected.mapValues { "\($0)" }, "\(second.output.suffix(2_000))")
    }
}
