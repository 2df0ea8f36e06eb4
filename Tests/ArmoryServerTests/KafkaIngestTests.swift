import ArmoryCore
import ArmoryServer
import ArmoryStorage
import ArmoryTestSupport
import Foundation
import Hummingbird
import Synchronization
import HummingbirdTesting
import Testing

/// Events through Kafka on the real broker and ClickHouse: whatever fails (the store, the
/// broker), every event answered 202 counts exactly once.
@Suite("Kafka event queue", .serialized)
struct KafkaIngestTests {
    static let experiment = """
        id: split
        objective: ctr
        fallback: popular
        arms:
          - { name: popular, algorithm: popularity, weight: 0.5 }
          - { name: personal, algorithm: history, weight: 0.5 }
        """

    /// The embedded configuration with ClickHouse and a topic and group of the test's own.
    static func configuration(in folder: URL, clickHouse: ClickHouseClient, topic: String) throws -> ServerConfiguration {
        var configuration = TestServer.configuration(in: folder)
        configuration.metrics = .clickhouse(url: try TestServers.clickHouseURL(database: clickHouse.database))
        var kafka = KafkaSettings(brokers: try KafkaClient.Configuration.brokers(try TestServers.kafkaBrokers()))
        kafka.topic = topic
        kafka.group = "\(topic)-ingest"
        kafka.topicPartitions = 3
        kafka.timeout = .seconds(2)
        configuration.kafka = kafka
        return configuration
    }

    /// What a run of traffic sent: decisions and clicked decisions per arm.
    struct Sent: Sendable, Equatable {
        var decisions: [String: Int] = [:]
        var clicked: [String: Int] = [:]

        mutating func add(_ other: Sent) {
            decisions.merge(other.decisions, uniquingKeysWith: +)
            clicked.merge(other.clicked, uniquingKeysWith: +)
        }
    }

    /// `count` recommendations to users `offset…`, every third clicked; every event answered 202.
    static func traffic(_ client: any TestClientProtocol, count: Int, offset: Int) async throws -> Sent {
        var sent = Sent()
        for index in 0..<count {
            let served = try await client.recommend("user-\(offset + index)", in: "split")
            sent.decisions[served.arm, default: 0] += 1
            guard index % 3 == 0, let item = served.items.first else { continue }
            let response = try await client.post(events: [EventInput(type: "click", decisionID: served.decisionID, movieID: item.movieID, position: 0)])
            #expect(response.status == .accepted)
            sent.clicked[served.arm, default: 0] += 1
        }
        return sent
    }

    /// Waits up to `seconds` for the metrics store to count exactly what was sent (decisions
    /// and clicked decisions per arm); returns what it last counted.
    static func waitForTotals(_ store: any MetricsStore, _ sent: Sent, seconds: Int) async throws -> Sent {
        var counted = Sent()
        for _ in 0..<(seconds * 5) {
            if let totals = try? await store.aggregates([ExperimentPhase(experiment: "split", since: Date(timeIntervalSince1970: 0))]) {
                counted = Sent(decisions: Dictionary(uniqueKeysWithValues: totals.map { ($0.arm, $0.trials) }),
                               clicked: Dictionary(uniqueKeysWithValues: totals.map { ($0.arm, $0.clicked) }).filter { $0.value > 0 })
                // More than was sent is a repeat counted twice: no waiting makes it right.
                if counted == sent || counted.decisions.values.reduce(0, +) > sent.decisions.values.reduce(0, +) { return counted }
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        return counted
    }

    /// The summed `armory_kafka_ingest_lag` from `/metrics`.
    static func lag(_ client: any TestClientProtocol) async throws -> Int {
        let text = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
        return text.split(separator: "\n").filter { $0.hasPrefix("armory_kafka_ingest_lag{") }
            .compactMap { Double($0.split(separator: " ").last ?? "") }.reduce(0) { $0 + Int($1) }
    }

    @Test("ClickHouse stopped for 10 s while events flow through Kafka: 202s go on, the lag grows, then drains, and every event counts once")
    func clickHouseOutage() async throws {
        try await ServerOutageLock.kafka.whileRunning {
            try await ServerOutageLock.clickHouse.exclusively {
                let clickHouse = try await TestServers.makeClickHouseDatabase()
                let folder = try TestServer.makeFolder(["split.yaml": Self.experiment])
                defer { try? FileManager.default.removeItem(at: folder) }
                let configuration = try Self.configuration(in: folder, clickHouse: clickHouse, topic: TestServers.freshTopic())
                do {
                    try await TestServer.run(configuration) { client, armory in
                        var sent = try await Self.traffic(client, count: 60, offset: 0)
                        #expect(try await Self.waitForTotals(armory.metricsStore, sent, seconds: 20) == sent, "the first events reached ClickHouse through Kafka")

                        try TestServers.services("stop", "clickhouse")
                        let stopped = ContinuousClock.now
                        do {
                            let during = try await Self.traffic(client, count: 90, offset: 1_000)
                            sent.add(during)
                            // The ingest holds what it read; the lag counts every event not yet stored.
                            // (It is read again after each failed insert, which takes the ClickHouse
                            // client's timeout: seconds.)
                            let events = during.decisions.values.reduce(0, +) + during.clicked.values.reduce(0, +)
                            var lag = 0
                            for _ in 0..<120 where lag < events {
                                try await Task.sleep(for: .milliseconds(250))
                                lag = try await Self.lag(client)
                            }
                            #expect(lag >= events, "the lag while ClickHouse is away: \(lag) of \(events) events")
                            #expect(armory.writer?.statistics.spooled == 0, "the API produced to Kafka; nothing was spooled")
                            let elapsed = ContinuousClock.now - stopped
                            if elapsed < .seconds(10) { try await Task.sleep(for: .seconds(10) - elapsed) }
                        } catch {
                            try? TestServers.services("start", "clickhouse")
                            throw error
                        }
                        try TestServers.services("start", "clickhouse")
                        #expect(try await Self.waitForTotals(armory.metricsStore, sent, seconds: 30) == sent, "every event counted once after ClickHouse returned")
                        var lag = try await Self.lag(client)
                        for _ in 0..<20 where lag > 0 {
                            try await Task.sleep(for: .milliseconds(250))
                            lag = try await Self.lag(client)
                        }
                        #expect(lag == 0)
                    }
                } catch {
                    await TestServers.dropClickHouseDatabase(clickHouse)
                    throw error
                }
                await TestServers.dropClickHouseDatabase(clickHouse)
            }
        }
    }

    @Test("the broker stopped while the API takes events: they wait in the spool and are produced when it returns; what it held survives its restart on S3")
    func brokerOutage() async throws {
        try await ServerOutageLock.clickHouse.whileRunning {
            try await ServerOutageLock.kafka.exclusively {
                let clickHouse = try await TestServers.makeClickHouseDatabase()
                let folder = try TestServer.makeFolder(["split.yaml": Self.experiment])
                defer { try? FileManager.default.removeItem(at: folder) }
                var configuration = try Self.configuration(in: folder, clickHouse: clickHouse, topic: TestServers.freshTopic())
                configuration.decisionSecret = "kafka-test-shared-decision-secret"
                do {
                    // The API alone: nothing reads the topic until the broker has restarted.
                    var api = configuration
                    api.role = .api
                    let sent = try await TestServer.run(api) { client, armory in
                        var sent = try await Self.traffic(client, count: 50, offset: 0)
                        let writer = try #require(armory.writer)
                        for _ in 0..<50 where writer.statistics.queued > 0 { try await Task.sleep(for: .milliseconds(100)) }
                        #expect(writer.statistics.spooled == 0)

                        try TestServers.services("stop", "kafka")
                        do {
                            sent.add(try await Self.traffic(client, count: 50, offset: 1_000))
                            for _ in 0..<50 where writer.statistics.queued > 0 { try await Task.sleep(for: .milliseconds(100)) }
                            #expect(writer.statistics.spooled > 0, "with the broker away, events were spooled")
                            #expect(writer.statistics.spoolBytes > 0)
                        } catch {
                            try? TestServers.services("start", "kafka")
                            throw error
                        }
                        try TestServers.services("start", "kafka")
                        for _ in 0..<100 where writer.statistics.spoolBytes > 0 { try await Task.sleep(for: .milliseconds(200)) }
                        #expect(writer.statistics.spoolBytes == 0, "the spool was produced once the broker returned")
                        return sent
                    }
                    // Then the ingest alone, from the start of the topic the restarted broker read from S3.
                    var ingest = configuration
                    ingest.role = .ingest
                    ingest.demoCatalog = nil
                    ingest.dataDirectory += "-ingest"
                    let counted = try await TestServer.run(ingest) { _, armory in try await Self.waitForTotals(armory.metricsStore, sent, seconds: 30) }
                    #expect(counted == sent, "every event counted once")
                    #expect(counted.decisions.values.reduce(0, +) == 100)
                } catch {
                    await TestServers.dropClickHouseDatabase(clickHouse)
                    throw error
                }
                await TestServers.dropClickHouseDatabase(clickHouse)
            }
        }
    }

    /// The real ClickHouse store, noting at each insert how far the ingest's group had
    /// committed, and how many events had been inserted before it.
    final class CommitCheckingStore: MetricsStore, Sendable {
        let store: ClickHouseMetricsStore
        let reader: KafkaEventReader
        let seen = Mutex<[(committed: Int64, insertedBefore: Int)]>([])
        let inserted = Mutex(0)

        init(store: ClickHouseMetricsStore, reader: KafkaEventReader) {
            self.store = store
            self.reader = reader
        }

        var location: String { store.location }
        func prepare() async throws { try await store.prepare() }
        func insert(_ events: [Event]) async throws {
            let committed = try await reader.startingOffsets([0])[0] ?? -1
            seen.withLock { $0.append((committed, inserted.withLock { $0 })) }
            try await store.insert(events)
            inserted.withLock { $0 += events.count }
        }
        func periodAggregates(_ phases: [ExperimentPhase]) async throws -> [ArmAggregate] { try await store.periodAggregates(phases) }
        func firstAssignments(_ phases: [ExperimentPhase]) async throws -> [FirstAssignment] { try await store.firstAssignments(phases) }
        func timeSeries(_ phase: ExperimentPhase, bucketSeconds: Int, until: Date) async throws -> [TimeSeriesPoint] {
            try await store.timeSeries(phase, bucketSeconds: bucketSeconds, until: until)
        }
        func modelAggregates(experiment: String, since: Date) async throws -> [ModelAggregate] {
            try await store.modelAggregates(experiment: experiment, since: since)
        }
    }

    @Test("the ingest commits a batch's offsets only after the store has the batch")
    func commitsAfterInsert() async throws {
        try await ServerOutageLock.kafka.whileRunning {
            try await ServerOutageLock.clickHouse.whileRunning {
                let clickHouse = try await TestServers.makeClickHouseDatabase()
                defer { Task { await TestServers.dropClickHouseDatabase(clickHouse) } }
                let client = KafkaClient(configuration: .init(brokers: try KafkaClient.Configuration.brokers(try TestServers.kafkaBrokers())))
                let topic = KafkaTopic(name: TestServers.freshTopic(), partitions: 1)
                let queue = KafkaEventQueue(client: client, topic: topic)
                try await queue.prepare()
                let events = (0..<500).map { index in
                    Event(eventID: "c\(index)", type: .impression, time: Date(), decisionID: "c\(index)", experiment: "split", arm: "popular",
                          configVersion: 1, weightVersion: 1, userID: "u\(index)")
                }
                try await queue.insert(events)
                let reader = KafkaEventReader(client: client, topic: topic, group: "\(topic.name)-ingest", logger: TestServer.quiet)
                let store = CommitCheckingStore(store: ClickHouseMetricsStore(client: clickHouse), reader: reader)
                try await store.prepare()
                var configuration = KafkaIngest.Configuration(rejectedFile: FileManager.default.temporaryDirectory.appendingPathComponent("\(topic.name).rejected").path)
                configuration.batchSize = 100
                let ingest = KafkaIngest(reader: reader, store: store, configuration: configuration, metrics: ServerMetrics(), logger: TestServer.quiet)
                let running = Task { try await ingest.run() }
                for _ in 0..<100 where store.inserted.withLock({ $0 }) < 500 { try await Task.sleep(for: .milliseconds(100)) }
                running.cancel()
                _ = try? await running.value
                let seen = store.seen.withLock { $0 }
                #expect(store.inserted.withLock { $0 } == 500)
                #expect(seen.count == 5, "five batches of 100")
                for entry in seen {
                    // The group's committed offset (the next to read) never covers an event not yet inserted.
                    #expect(entry.committed <= Int64(entry.insertedBefore), "\(seen)")
                }
                #expect(seen.last.map { $0.committed == 400 } == true, "the batch before the last was committed: \(seen)")
            }
        }
    }
}
