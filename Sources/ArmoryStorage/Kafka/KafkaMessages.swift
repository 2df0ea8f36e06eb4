import NIOCore

/// The requests this client sends and what it reads of their responses, each at one version
/// that Kafka 2.5 through 4.x and Tansu all accept (Kafka 4 dropped the oldest versions).
/// Non-flexible versions where they suffice; InitProducerId at v3, the first to carry the
/// producer id and epoch fields that Tansu requires, is flexible (tagged fields, compact
/// strings), so only it uses the flexible header (``flexible``).
enum KafkaMessages {
    enum Key {
        static let produce: Int16 = 0, fetch: Int16 = 1, listOffsets: Int16 = 2, metadata: Int16 = 3
        static let offsetCommit: Int16 = 8, offsetFetch: Int16 = 9, findCoordinator: Int16 = 10
        static let apiVersions: Int16 = 18, createTopics: Int16 = 19, initProducerID: Int16 = 22
    }

    /// The version sent of each request.
    static let versions: [Int16: Int16] = [
        Key.produce: 3, Key.fetch: 4, Key.listOffsets: 1, Key.metadata: 4, Key.offsetCommit: 2, Key.offsetFetch: 1,
        Key.findCoordinator: 1, Key.apiVersions: 0, Key.createTopics: 4, Key.initProducerID: 3,
    ]

    /// The requests sent at a flexible version: request header v2, response header v1.
    static let flexible: Set<Int16> = [Key.initProducerID]

    static let names: [Int16: String] = [
        Key.produce: "Produce", Key.fetch: "Fetch", Key.listOffsets: "ListOffsets", Key.metadata: "Metadata",
        Key.offsetCommit: "OffsetCommit", Key.offsetFetch: "OffsetFetch", Key.findCoordinator: "FindCoordinator",
        Key.apiVersions: "ApiVersions", Key.createTopics: "CreateTopics", Key.initProducerID: "InitProducerId",
    ]

    /// ApiVersions v0: the broker's supported range per API key.
    static func readAPIVersions(_ response: inout ByteBuffer) throws -> [Int16: ClosedRange<Int16>] {
        try KafkaError.check(try response.readKafkaInt16(), "ApiVersions failed")
        let entries = try response.readKafkaArray { buffer in
            (try buffer.readKafkaInt16(), try buffer.readKafkaInt16(), try buffer.readKafkaInt16())
        }
        return Dictionary(entries.map { ($0.0, $0.1...max($0.1, $0.2)) }, uniquingKeysWith: { first, _ in first })
    }

    // MARK: Metadata v4

    struct Broker: Sendable, Hashable {
        var node: Int32
        var host: String
        var port: Int
    }

    struct Partition: Sendable, Hashable {
        var index: Int32
        var leader: Int32
        var error: Int16
    }

    struct Topic: Sendable, Hashable {
        var name: String
        var error: Int16
        var partitions: [Partition]
    }

    /// Asks about `topics` without creating them (a broker set to create topics on first
    /// mention would otherwise make them with its default partitions, not Armory's).
    static func writeMetadata(_ topics: [String], to buffer: inout ByteBuffer) {
        buffer.writeKafkaArray(topics) { $0.writeKafkaString($1) }
        buffer.writeKafkaBool(false)
    }

    static func readMetadata(_ response: inout ByteBuffer) throws -> (brokers: [Broker], topics: [Topic]) {
        _ = try response.readKafkaInt32()  // throttle
        let brokers = try response.readKafkaArray { buffer in
            let node = try buffer.readKafkaInt32()
            let host = try buffer.readKafkaString()
            let port = try buffer.readKafkaInt32()
            _ = try buffer.readKafkaNullableString()  // rack
            return Broker(node: node, host: host, port: Int(port))
        }
        _ = try response.readKafkaNullableString()  // cluster id
        _ = try response.readKafkaInt32()  // controller
        let topics = try response.readKafkaArray { buffer in
            let error = try buffer.readKafkaInt16()
            let name = try buffer.readKafkaString()
            _ = try buffer.readKafkaBool()  // internal
            let partitions = try buffer.readKafkaArray { partition in
                let error = try partition.readKafkaInt16()
                let index = try partition.readKafkaInt32()
                let leader = try partition.readKafkaInt32()
                _ = try partition.readKafkaArray { try $0.readKafkaInt32() }  // replicas
                _ = try partition.readKafkaArray { try $0.readKafkaInt32() }  // in-sync replicas
                return Partition(index: index, leader: leader, error: error)
            }
            return Topic(name: name, error: error, partitions: partitions.sorted { $0.index < $1.index })
        }
        return (brokers, topics)
    }

    // MARK: CreateTopics v4

    static func writeCreateTopic(_ name: String, partitions: Int32, replicationFactor: Int16, timeoutMilliseconds: Int32, to buffer: inout ByteBuffer) {
        buffer.writeInteger(Int32(1))
        buffer.writeKafkaString(name)
        buffer.writeInteger(partitions)
        buffer.writeInteger(replicationFactor)
        buffer.writeInteger(Int32(0))  // assignments
        buffer.writeInteger(Int32(0))  // configs
        buffer.writeInteger(timeoutMilliseconds)
        buffer.writeKafkaBool(false)  // validate only
    }

    /// The topic's error code and message.
    static func readCreateTopic(_ response: inout ByteBuffer) throws -> (error: Int16, message: String?) {
        _ = try response.readKafkaInt32()  // throttle
        let results = try response.readKafkaArray { buffer in
            (try buffer.readKafkaString(), try buffer.readKafkaInt16(), try buffer.readKafkaNullableString())
        }
        guard let result = results.first else { throw KafkaError.malformed("CreateTopics answered no topic") }
        return (result.1, result.2)
    }

    // MARK: InitProducerId v3 (flexible)

    static func writeInitProducerID(to buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(0))  // transactional id: a null compact string (no transactions, idempotence only)
        buffer.writeInteger(Int32(60_000))
        buffer.writeInteger(Int64(-1))  // producer id: a new one
        buffer.writeInteger(Int16(-1))  // producer epoch
        buffer.writeInteger(UInt8(0))  // no tagged fields
    }

    static func readInitProducerID(_ response: inout ByteBuffer) throws -> (id: Int64, epoch: Int16) {
        try response.skipKafkaTaggedFields()  // of the response header
        _ = try response.readKafkaInt32()  // throttle
        try KafkaError.check(try response.readKafkaInt16(), "InitProducerId failed")
        return (try response.readKafkaInt64(), try response.readKafkaInt16())
    }

    // MARK: Produce v3

    static func writeProduce(topic: String, batches: [(partition: Int32, records: ByteBuffer)], timeoutMilliseconds: Int32, to buffer: inout ByteBuffer) {
        buffer.writeKafkaNullableString(nil)  // transactional id
        buffer.writeInteger(Int16(-1))  // acks=all
        buffer.writeInteger(timeoutMilliseconds)
        buffer.writeInteger(Int32(1))
        buffer.writeKafkaString(topic)
        buffer.writeKafkaArray(batches) { buffer, batch in
            buffer.writeInteger(batch.partition)
            buffer.writeKafkaBytes(batch.records)
        }
    }

    /// Per partition, its error code and the offset of the batch's first record.
    static func readProduce(_ response: inout ByteBuffer) throws -> [Int32: (error: Int16, baseOffset: Int64)] {
        var results: [Int32: (error: Int16, baseOffset: Int64)] = [:]
        _ = try response.readKafkaArray { buffer in
            _ = try buffer.readKafkaString()
            _ = try buffer.readKafkaArray { partition in
                let index = try partition.readKafkaInt32()
                let error = try partition.readKafkaInt16()
                let offset = try partition.readKafkaInt64()
                _ = try partition.readKafkaInt64()  // log append time
                results[index] = (error, offset)
            }
        }
        return results
    }

    // MARK: Fetch v4

    struct FetchedPartition: Sendable {
        var partition: Int32
        var error: Int16
        var highWatermark: Int64
        var records: ByteBuffer?
    }

    /// `maxBytes` per partition; the response may hold that much of each.
    static func writeFetch(topic: String, offsets: [(partition: Int32, offset: Int64)], maxWaitMilliseconds: Int32,
                           maxBytes: Int32, to buffer: inout ByteBuffer) {
        buffer.writeInteger(Int32(-1))  // replica id: a consumer
        buffer.writeInteger(maxWaitMilliseconds)
        buffer.writeInteger(Int32(1))  // min bytes: answer as soon as anything is there
        // Capped in all, well under the largest response a connection takes.
        buffer.writeInteger(Int32(min(Int(maxBytes) * offsets.count, 48 << 20)))
        buffer.writeInteger(Int8(1))  // read committed (no transactions here: the same as uncommitted)
        buffer.writeInteger(Int32(1))
        buffer.writeKafkaString(topic)
        buffer.writeKafkaArray(offsets) { buffer, entry in
            buffer.writeInteger(entry.partition)
            buffer.writeInteger(entry.offset)
            buffer.writeInteger(maxBytes)
        }
    }

    static func readFetch(_ response: inout ByteBuffer) throws -> [FetchedPartition] {
        _ = try response.readKafkaInt32()  // throttle
        var results: [FetchedPartition] = []
        _ = try response.readKafkaArray { buffer in
            _ = try buffer.readKafkaString()
            _ = try buffer.readKafkaArray { partition in
                let index = try partition.readKafkaInt32()
                let error = try partition.readKafkaInt16()
                let highWatermark = try partition.readKafkaInt64()
                _ = try partition.readKafkaInt64()  // last stable offset
                _ = try partition.readKafkaArray { aborted in (try aborted.readKafkaInt64(), try aborted.readKafkaInt64()) }
                results.append(FetchedPartition(partition: index, error: error, highWatermark: highWatermark, records: try partition.readKafkaBytes()))
            }
        }
        return results
    }

    // MARK: ListOffsets v1

    /// `timestamp` -2 asks for the earliest offset.
    static func writeListOffsets(topic: String, partitions: [Int32], timestamp: Int64, to buffer: inout ByteBuffer) {
        buffer.writeInteger(Int32(-1))  // replica id
        buffer.writeInteger(Int32(1))
        buffer.writeKafkaString(topic)
        buffer.writeKafkaArray(partitions) { buffer, partition in
            buffer.writeInteger(partition)
            buffer.writeInteger(timestamp)
        }
    }

    static func readListOffsets(_ response: inout ByteBuffer) throws -> [Int32: Int64] {
        var offsets: [Int32: Int64] = [:]
        _ = try response.readKafkaArray { buffer in
            let topic = try buffer.readKafkaString()
            _ = try buffer.readKafkaArray { partition in
                let index = try partition.readKafkaInt32()
                try KafkaError.check(try partition.readKafkaInt16(), "ListOffsets failed for \(topic)/\(index)")
                _ = try partition.readKafkaInt64()  // timestamp
                offsets[index] = try partition.readKafkaInt64()
            }
        }
        return offsets
    }

    // MARK: FindCoordinator v1

    static func writeFindCoordinator(group: String, to buffer: inout ByteBuffer) {
        buffer.writeKafkaString(group)
        buffer.writeInteger(Int8(0))  // a consumer group
    }

    static func readFindCoordinator(_ response: inout ByteBuffer) throws -> Broker {
        _ = try response.readKafkaInt32()  // throttle
        let error = try response.readKafkaInt16()
        let message = try response.readKafkaNullableString()
        try KafkaError.check(error, "FindCoordinator failed\(message.map { ": \($0)" } ?? "")")
        return Broker(node: try response.readKafkaInt32(), host: try response.readKafkaString(), port: Int(try response.readKafkaInt32()))
    }

    // MARK: OffsetCommit v2, OffsetFetch v1

    /// Offsets committed outside any group membership (generation -1, no member id): the form
    /// Kafka accepts from consumers that assign partitions themselves.
    static func writeOffsetCommit(group: String, topic: String, offsets: [Int32: Int64], to buffer: inout ByteBuffer) {
        buffer.writeKafkaString(group)
        buffer.writeInteger(Int32(-1))  // generation
        buffer.writeKafkaString("")  // member id
        buffer.writeInteger(Int64(-1))  // retention: the broker's default
        buffer.writeInteger(Int32(1))
        buffer.writeKafkaString(topic)
        buffer.writeKafkaArray(offsets.sorted { $0.key < $1.key }) { buffer, entry in
            buffer.writeInteger(entry.key)
            buffer.writeInteger(entry.value)
            buffer.writeKafkaNullableString(nil)
        }
    }

    static func readOffsetCommit(_ response: inout ByteBuffer) throws {
        _ = try response.readKafkaArray { buffer in
            let topic = try buffer.readKafkaString()
            _ = try buffer.readKafkaArray { partition in
                let index = try partition.readKafkaInt32()
                try KafkaError.check(try partition.readKafkaInt16(), "OffsetCommit failed for \(topic)/\(index)")
            }
        }
    }

    static func writeOffsetFetch(group: String, topic: String, partitions: [Int32], to buffer: inout ByteBuffer) {
        buffer.writeKafkaString(group)
        buffer.writeInteger(Int32(1))
        buffer.writeKafkaString(topic)
        buffer.writeKafkaArray(partitions) { $0.writeInteger($1) }
    }

    /// Per partition, the committed offset (-1: none committed).
    static func readOffsetFetch(_ response: inout ByteBuffer) throws -> [Int32: Int64] {
        var offsets: [Int32: Int64] = [:]
        _ = try response.readKafkaArray { buffer in
            let topic = try buffer.readKafkaString()
            _ = try buffer.readKafkaArray { partition in
                let index = try partition.readKafkaInt32()
                let offset = try partition.readKafkaInt64()
                _ = try partition.readKafkaNullableString()
                try KafkaError.check(try partition.readKafkaInt16(), "OffsetFetch failed for \(topic)/\(index)")
                offsets[index] = offset
            }
        }
        return offsets
    }
}
