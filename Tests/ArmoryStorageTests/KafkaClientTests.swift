import ArmoryCore
@testable import ArmoryStorage
import ArmoryTestSupport
import Foundation
import Logging
import NIOCore
import Testing

/// The Kafka client against the real broker (Tansu), with kafka-python as a second client
/// where the formats matter: what one writes the other must read.
@Suite(.serialized) struct KafkaClientTests {
    static let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    static func client() throws -> KafkaClient {
        var configuration = KafkaClient.Configuration(brokers: try KafkaClient.Configuration.brokers(try TestServers.kafkaBrokers()))
        configuration.requestTimeout = .seconds(10)
        return KafkaClient(configuration: configuration)
    }

    static func events(_ count: Int, tag: String) -> [Event] {
        let start = Date(timeIntervalSince1970: 1_780_000_000)
        return (0..<count).map { index in
            // Every fifth a view, which has no decision: keyed by its user.
            index % 5 == 4
                ? Event(eventID: "\(tag)-v\(index)", type: .view, time: start, userID: "user-\(index % 17)", movieID: index)
                : Event(eventID: "\(tag)-e\(index)", type: index % 2 == 0 ? .impression : .click, time: start.addingTimeInterval(Double(index)),
                        decisionID: "\(tag)-d\(index / 2)", experiment: "exp", arm: "arm-\(index % 3)", configVersion: 1, weightVersion: 2,
                        userID: "user-\(index % 17)", movieID: index, position: index % 10, items: [1, 2, index])
        }
    }

    /// Every record of `topic` as kafka-python reads it: partition, offset, key, value, and the
    /// partition its own default partitioner picks for the key.
    static let readAll = """
    import json, sys
    from kafka import KafkaConsumer, TopicPartition
    from kafka.partitioner.default import murmur2
    brokers, topic, partitions = sys.argv[1], sys.argv[2], int(sys.argv[3])
    consumer = KafkaConsumer(bootstrap_servers=brokers, enable_auto_commit=False, consumer_timeout_ms=3000)
    consumer.assign([TopicPartition(topic, p) for p in range(partitions)])
    consumer.seek_to_beginning()
    for record in consumer:
        print(json.dumps({"partition": record.partition, "offset": record.offset, "key": record.key.decode(),
                          "value": record.value.decode(), "expected": (murmur2(record.key) & 0x7fffffff) % partitions}))
    """

    @Test("events the queue produces are read by kafka-python, each in the partition its partitioner picks for the key")
    func producedEventsReadByKafkaPython() async throws {
        try await ServerOutageLock.kafka.whileRunning {
            let client = try Self.client()
            let topic = KafkaTopic(name: TestServers.freshTopic(), partitions: 4)
            let queue = KafkaEventQueue(client: client, topic: topic)
            try await queue.prepare()
            let events = Self.events(300, tag: "a")
            try await queue.insert(Array(events[..<150]))
            try await queue.insert(Array(events[150...]))
            await client.close()
            let lines = try TestServers.kafkaPython(Self.readAll, [try TestServers.kafkaBrokers(), topic.name, "4"])
                .split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
            #expect(lines.count == 300)
            #expect(Set(lines.map { $0["partition"] as! Int }).count == 4)
            for line in lines { #expect(line["partition"] as! Int == line["expected"] as! Int) }
            let read = try lines.map { try HistoryCoding.decodeData(Event.self, from: Data(($0["value"] as! String).utf8)) }
            #expect(Set(read) == Set(events))
            for line in lines {
                let event = try HistoryCoding.decodeData(Event.self, from: Data((line["value"] as! String).utf8))
                #expect(line["key"] as! String == (event.decisionID.isEmpty ? event.userID : event.decisionID))
            }
        }
    }

    @Test("gzip batches kafka-python produces are read as events, and offsets committed here are the group's for kafka-python")
    func readsKafkaPythonAndCommits() async throws {
        try await ServerOutageLock.kafka.whileRunning {
            let topic = KafkaTopic(name: TestServers.freshTopic(), partitions: 3)
            let events = Self.events(120, tag: "b")
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(topic.name).jsonl")
            try events.map { String(decoding: try HistoryCoding.encodeData($0), as: UTF8.self) }.joined(separator: "\n")
                .write(to: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: file) }
            let produce = """
            import sys
            from kafka import KafkaProducer
            from kafka.admin import KafkaAdminClient, NewTopic
            brokers, topic, path = sys.argv[1], sys.argv[2], sys.argv[3]
            KafkaAdminClient(bootstrap_servers=brokers).create_topics([NewTopic(topic, 3, 1)])
            producer = KafkaProducer(bootstrap_servers=brokers, acks="all", compression_type="gzip", linger_ms=50)
            for line in open(path):
                producer.send(topic, key=b"k", value=line.strip().encode())
            producer.send(topic, key=b"junk", value=b"not an event")
            producer.flush()
            """
            _ = try TestServers.kafkaPython(produce, [try TestServers.kafkaBrokers(), topic.name, file.path])
            let client = try Self.client()
            let reader = KafkaEventReader(client: client, topic: topic, group: "group-\(topic.name)", logger: Self.quiet)
            let partitions = try await reader.partitions(assigned: nil)
            #expect(partitions == [0, 1, 2])
            var offsets = try await reader.startingOffsets(partitions)
            var read: [Event] = []
            var unreadable = 0
            for _ in 0..<20 where read.count + unreadable < 121 {
                let batch = try await reader.read(from: offsets, maxWait: .milliseconds(200))
                read += batch.events
                unreadable += batch.unreadable.count
                offsets = batch.next
            }
            // One key: every record in one partition, in the order produced.
            #expect(read == events)
            #expect(unreadable == 1)
            try await reader.commit(offsets)
            let restarted = try await reader.startingOffsets(partitions)
            #expect(restarted == offsets)
            await client.close()
            let committed = try TestServers.kafkaPython("""
            import sys
            from kafka import KafkaConsumer, TopicPartition
            consumer = KafkaConsumer(bootstrap_servers=sys.argv[1], group_id=sys.argv[3], enable_auto_commit=False)
            print(",".join(str(consumer.committed(TopicPartition(sys.argv[2], p)) or 0) for p in range(3)))
            """, [try TestServers.kafkaBrokers(), topic.name, "group-\(topic.name)"])
            #expect(committed.trimmingCharacters(in: .whitespacesAndNewlines) == (0..<3).map { String(offsets[Int32($0)] ?? -1) }.joined(separator: ","))
        }
    }

    @Test("a batch sent again in the same producer session is stored once")
    func idempotentProducer() async throws {
        try await ServerOutageLock.kafka.whileRunning {
            let client = try Self.client()
            let topic = TestServers.freshTopic()
            try await client.createTopic(topic, partitions: 1)
            let producer = try await client.initProducerID()
            let records = (0..<10).map { KafkaRecord(timestamp: 1_000 + Int64($0), key: ByteBuffer(string: "k"), value: ByteBuffer(string: "v\($0)")) }
            let first = KafkaRecordBatch.encode(records, producer: .init(id: producer.id, epoch: producer.epoch, sequence: 0))
            let sent = try await client.produce(topic: topic, batches: [0: first])
            #expect(sent[0]?.error == 0)
            let again = try await client.produce(topic: topic, batches: [0: first])
            #expect(again[0]?.error == 0 || again[0]?.error == KafkaError.duplicateSequenceNumber)
            let next = KafkaRecordBatch.encode(records, producer: .init(id: producer.id, epoch: producer.epoch, sequence: 10))
            #expect(try await client.produce(topic: topic, batches: [0: next])[0]?.error == 0)
            // Read back rather than asked for the end offset: Tansu 0.6 answers ListOffsets(latest)
            // with the last batch's first offset + 1 (kafka-python sees the same).
            var stored: [KafkaRecord] = []
            var position: Int64 = 0
            for _ in 0..<10 where stored.count < 20 {
                let fetched = try #require(try await client.fetch(topic: topic, offsets: [0: position], maxWait: .milliseconds(100)).first)
                let (batch, end) = try KafkaRecordBatch.decode(try #require(fetched.records), fromOffset: position)
                stored += batch
                position = end ?? position
            }
            #expect(stored.map(\.offset) == Array(0..<20))
            #expect(stored.map { String(buffer: $0.value!) } == (0..<2).flatMap { _ in (0..<10).map { "v\($0)" } })
            await client.close()
        }
    }

    @Test("a broker that is not there fails within the connect timeout, naming its address")
    func unreachableBroker() async throws {
        var configuration = KafkaClient.Configuration(brokers: ["127.0.0.1:1"])
        configuration.connectTimeout = .milliseconds(500)
        let client = KafkaClient(configuration: configuration)
        let started = ContinuousClock.now
        await #expect { try await client.partitionCount("any") } throws: { error in
            "\(error)".contains("127.0.0.1:1")
        }
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(throws: KafkaError.self) { try KafkaClient.Configuration.brokers("host:notaport") }
        #expect(try KafkaClient.Configuration.brokers(" a:1, b ") == ["a:1", "b:9092"])
    }
}
