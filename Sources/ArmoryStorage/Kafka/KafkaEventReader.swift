import ArmoryCore
import Foundation
import Logging

/// Reads Armory's events from the Kafka topic for the ingest loop, from the offsets committed
/// for its consumer group, and commits the offsets it is given. Partitions are assigned by
/// configuration (all of them by default), not by Kafka's group protocol: offsets are
/// committed outside group membership, so two readers given the same partition both read it
/// (the metrics store counts each event once either way).
public final class KafkaEventReader: Sendable {
    /// What one read returned.
    public struct Batch: Sendable {
        /// The events, in partition order.
        public var events: [Event] = []
        /// Records whose value is not an event, with their partition.
        public var unreadable: [(partition: Int32, record: KafkaRecord)] = []
        /// Per partition, the next offset to read after this batch.
        public var next: [Int32: Int64] = [:]
        /// Per partition, the offset after the last record written (the high watermark).
        public var ends: [Int32: Int64] = [:]
        /// Partitions that answered with an error worth asking again about (no leader now).
        public var unavailable: [Int32] = []

        public init(next: [Int32: Int64] = [:]) {
            self.next = next
        }
    }

    public let client: KafkaClient
    public let topic: KafkaTopic
    /// The consumer group the offsets are committed for.
    public let group: String
    private let logger: Logger

    public init(client: KafkaClient, topic: KafkaTopic, group: String, logger: Logger) {
        self.client = client
        self.topic = topic
        self.group = group
        self.logger = logger
    }

    /// The partitions to read: `assigned` (checked against the topic), or all of them.
    public func partitions(assigned: [Int32]?) async throws -> [Int32] {
        let all = try await client.partitions(of: topic).map(\.index)
        guard let assigned else { return all }
        let missing = assigned.filter { !all.contains($0) }
        guard missing.isEmpty else {
            throw KafkaError(code: KafkaError.unknownTopicOrPartition,
                             "the topic \(topic.name) has partitions 0–\((all.max() ?? -1)); \(missing.map(String.init).joined(separator: ", ")) do not exist")
        }
        return assigned
    }

    /// Where to start in each partition: the group's committed offset, or the earliest offset
    /// still in the topic where none is committed.
    public func startingOffsets(_ partitions: [Int32]) async throws -> [Int32: Int64] {
        var offsets = try await client.committedOffsets(group: group, topic: topic.name, partitions: partitions)
        let uncommitted = partitions.filter { (offsets[$0] ?? -1) < 0 }
        if !uncommitted.isEmpty {
            let earliest = try await client.earliestOffsets(topic: topic.name, partitions: uncommitted)
            for partition in uncommitted { offsets[partition] = earliest[partition] ?? 0 }
        }
        return offsets
    }

    /// At most `limit` records after `offsets`, waiting up to `maxWait` when there are none.
    /// A partition whose offset is no longer in the topic (deleted by retention) starts again
    /// at its earliest offset, with a warning: those events are lost to Armory.
    public func read(from offsets: [Int32: Int64], maxWait: Duration, limit: Int = .max) async throws -> Batch {
        // About a kilobyte a record at most: enough for `limit` events, not the whole backlog.
        let maxBytes = Int32(min(max(limit, 64), 16_384) * 1_024)
        let fetched = try await client.fetch(topic: topic.name, offsets: offsets, maxWait: maxWait, maxBytes: maxBytes)
        var batch = Batch(next: offsets)
        var remaining = limit
        for partition in fetched.sorted(by: { $0.partition < $1.partition }) {
            let position = offsets[partition.partition] ?? 0
            if partition.error == KafkaError.offsetOutOfRange {
                let earliest = try await client.earliestOffsets(topic: topic.name, partitions: [partition.partition])[partition.partition] ?? 0
                logger.warning("the ingest's offset is no longer in the topic; starting again from the earliest",
                               metadata: ["partition": "\(partition.partition)", "offset": "\(position)", "earliest": "\(earliest)"])
                batch.next[partition.partition] = earliest
                continue
            }
            let error = KafkaError(code: partition.error, "fetching \(topic.name)/\(partition.partition) failed")
            guard partition.error == 0 else {
                if error.isRetriable {
                    batch.unavailable.append(partition.partition)
                    continue
                }
                throw error
            }
            batch.ends[partition.partition] = partition.highWatermark
            let (records, end) = try partition.records.map { try KafkaRecordBatch.decode($0, fromOffset: position, limit: remaining) } ?? ([], nil)
            let taken = records.prefix(remaining)
            remaining -= taken.count
            let (events, unreadable) = KafkaEventQueue.events(in: Array(taken))
            batch.events += events
            batch.unreadable += unreadable.map { (partition.partition, $0) }
            // Past the last record taken; past the batches read when all were taken.
            let next = taken.count < records.count ? records[taken.count].offset : (end ?? position)
            batch.next[partition.partition] = max(position, next)
        }
        return batch
    }

    /// Per partition, the offset after the last record written, read without waiting for records.
    public func ends(from offsets: [Int32: Int64]) async throws -> [Int32: Int64] {
        let fetched = try await client.fetch(topic: topic.name, offsets: offsets, maxWait: .zero, maxBytes: 1)
        return Dictionary(fetched.filter { $0.error == 0 }.map { ($0.partition, $0.highWatermark) }, uniquingKeysWith: max)
    }

    /// Records `offsets` (each the next to read) as the group's position.
    public func commit(_ offsets: [Int32: Int64]) async throws {
        try await client.commit(group: group, topic: topic.name, offsets: offsets)
    }
}
