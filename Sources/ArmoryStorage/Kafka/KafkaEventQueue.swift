import ArmoryCore
import Foundation
import NIOCore
import Synchronization

/// Armory's events on a Kafka topic: what API replicas write instead of the metrics store when
/// `ARMORY_KAFKA_BROKERS` is set, and what the ingest loop (``KafkaEventReader``) reads into it.
///
/// Each event is one record: keyed by its decision id (its user id when it has no decision),
/// so a decision's events stay in one partition in order, placed by Kafka's default
/// partitioner (murmur2, as Java clients place them); its value is the event as JSON, the form
/// the spool keeps. Written by an idempotent producer with `acks=all`: ``insert(_:)`` returns
/// once every partition's leader has the batch from all in-sync replicas, and a batch retried
/// within one producer session is stored once. A batch whose outcome is unknown (a timeout)
/// fails, goes to the writer's spool, and is written again later under a new session; the
/// metrics store counts the repeat once.
public final class KafkaEventQueue: EventDestination, Sendable {
    /// The client.
    public let client: KafkaClient
    /// The topic.
    public let topic: KafkaTopic
    /// One batch at a time: each partition's sequence numbers must reach it in order.
    private let order = ConcurrencyLimit(1)
    private let session = Mutex<ProducerSession?>(nil)

    private struct ProducerSession {
        var id: Int64
        var epoch: Int16
        var sequences: [Int32: Int32] = [:]
    }

    public init(client: KafkaClient, topic: KafkaTopic) {
        self.client = client
        self.topic = topic
    }

    public var location: String { "\(client.location), topic \(topic.name)" }

    /// Creates the topic when it does not exist, and reads its partitions.
    public func prepare() async throws {
        _ = try await client.partitions(of: topic)
    }

    public func insert(_ events: [Event]) async throws {
        guard !events.isEmpty else { return }
        try await order.run {
            do {
                try await produce(events)
            } catch {
                // The sequence numbers may no longer match the broker's: start a new session.
                session.withLock { $0 = nil }
                throw error
            }
        }
    }

    private func produce(_ events: [Event]) async throws {
        let partitionCount = try await client.partitions(of: topic).count
        var current = try await producerSession()
        var records: [Int32: [KafkaRecord]] = [:]
        for event in events {
            let key = event.decisionID.isEmpty ? event.userID : event.decisionID
            let partition = Int32(Murmur2.partition(of: Array(key.utf8), count: partitionCount))
            records[partition, default: []].append(KafkaRecord(
                timestamp: Int64((event.time.timeIntervalSince1970 * 1_000).rounded()),
                key: ByteBuffer(string: key), value: ByteBuffer(data: try HistoryCoding.encodeData(event))))
        }
        // Kafka takes one batch per partition in a request, and refuses one larger than its
        // message.max.bytes: a large flush goes in rounds of smaller batches.
        var rounds: [[Int32: [KafkaRecord]]] = []
        for (partition, partitionRecords) in records {
            for (round, chunk) in Self.chunks(partitionRecords).enumerated() {
                if round == rounds.count { rounds.append([:]) }
                rounds[round][partition] = chunk
            }
        }
        for round in rounds {
            var batches: [Int32: ByteBuffer] = [:]
            for (partition, chunk) in round {
                let producer = KafkaRecordBatch.Producer(id: current.id, epoch: current.epoch, sequence: current.sequences[partition] ?? 0)
                batches[partition] = KafkaRecordBatch.encode(chunk, producer: producer)
            }
            let results = try await client.produce(topic: topic.name, batches: batches)
            for (partition, chunk) in round {
                guard let result = results[partition] else { throw KafkaError.malformed("no answer for partition \(partition)") }
                // A duplicate is a batch the broker already has from this session: stored once.
                if result.error != KafkaError.duplicateSequenceNumber {
                    try KafkaError.check(result.error, "producing to \(topic.name)/\(partition) failed")
                }
                current.sequences[partition] = (current.sequences[partition] ?? 0) &+ Int32(chunk.count)
            }
            session.withLock { $0 = current }
        }
    }

    /// The most bytes of keys and values in one record batch: under Kafka's default
    /// message.max.bytes, with room for the records' own headers.
    static let batchBytes = 768 << 10

    /// `records` cut into runs whose keys and values stay within ``batchBytes`` (a record larger
    /// than that alone is a run of one).
    static func chunks(_ records: [KafkaRecord]) -> [[KafkaRecord]] {
        var chunks: [[KafkaRecord]] = [[]]
        var bytes = 0
        for record in records {
            let size = (record.key?.readableBytes ?? 0) + (record.value?.readableBytes ?? 0) + 24
            if bytes + size > batchBytes, !chunks[chunks.count - 1].isEmpty {
                chunks.append([])
                bytes = 0
            }
            chunks[chunks.count - 1].append(record)
            bytes += size
        }
        return chunks
    }

    private func producerSession() async throws -> ProducerSession {
        if let current = session.withLock({ $0 }) { return current }
        let (id, epoch) = try await client.initProducerID()
        return ProducerSession(id: id, epoch: epoch)
    }

    /// The events in `records`; a record whose value is not an event is returned apart, for
    /// the reader to set aside rather than stop on.
    static func events(in records: [KafkaRecord]) -> (events: [Event], unreadable: [KafkaRecord]) {
        var events: [Event] = []
        var unreadable: [KafkaRecord] = []
        events.reserveCapacity(records.count)
        for record in records {
            if let value = record.value, let event = try? HistoryCoding.decodeData(Event.self, from: Data(value.readableBytesView)) {
                events.append(event)
            } else {
                unreadable.append(record)
            }
        }
        return (events, unreadable)
    }
}

/// Kafka's default partitioner for keyed records: murmur2 of the key, made positive, modulo
/// the partition count (what Java, librdkafka's `murmur2_random` and kafka-python compute).
enum Murmur2 {
    static func hash(_ data: [UInt8]) -> UInt32 {
        let m: UInt32 = 0x5BD1_E995
        var h: UInt32 = 0x9747_B28C ^ UInt32(truncatingIfNeeded: data.count)
        var index = 0
        while index + 4 <= data.count {
            var k = UInt32(data[index]) | UInt32(data[index + 1]) << 8 | UInt32(data[index + 2]) << 16 | UInt32(data[index + 3]) << 24
            k &*= m
            k ^= k >> 24
            k &*= m
            h &*= m
            h ^= k
            index += 4
        }
        let tail = data.count - index
        if tail == 3 { h ^= UInt32(data[index + 2]) << 16 }
        if tail >= 2 { h ^= UInt32(data[index + 1]) << 8 }
        if tail >= 1 {
            h ^= UInt32(data[index])
            h &*= m
        }
        h ^= h >> 13
        h &*= m
        h ^= h >> 15
        return h
    }

    static func partition(of key: [UInt8], count: Int) -> Int {
        Int(hash(key) & 0x7FFF_FFFF) % count
    }
}
