import CompressNIO
import NIOCore

/// One Kafka record: a key and a value (no headers: Armory sends none and ignores any).
public struct KafkaRecord: Sendable, Hashable {
    /// The record's offset in its partition (set when read; ignored when written).
    public var offset: Int64
    /// Milliseconds since 1970.
    public var timestamp: Int64
    public var key: ByteBuffer?
    public var value: ByteBuffer?

    public init(offset: Int64 = 0, timestamp: Int64, key: ByteBuffer?, value: ByteBuffer?) {
        self.offset = offset
        self.timestamp = timestamp
        self.key = key
        self.value = value
    }
}

/// Kafka's record batch (magic 2), the only message format this client writes or reads: what
/// a Produce request carries per partition and a Fetch response returns. Written uncompressed;
/// read uncompressed or gzip-compressed (other codecs are refused by name).
enum KafkaRecordBatch {
    /// The producer fields of an idempotent batch.
    struct Producer: Sendable, Hashable {
        var id: Int64
        var epoch: Int16
        /// The sequence number of the batch's first record in its partition.
        var sequence: Int32
    }

    /// The bytes of one batch of `records`, stamped by `producer` (or by none).
    static func encode(_ records: [KafkaRecord], producer: Producer?, allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        precondition(!records.isEmpty, "a record batch holds at least one record")
        let firstTimestamp = records.map(\.timestamp).min()!
        var body = allocator.buffer(capacity: 64 + records.reduce(0) { $0 + 16 + ($1.key?.readableBytes ?? 0) + ($1.value?.readableBytes ?? 0) })
        // From the attributes on: what the CRC covers.
        body.writeInteger(Int16(0))  // attributes: no compression, create time, not transactional
        body.writeInteger(Int32(records.count - 1))  // last offset delta
        body.writeInteger(firstTimestamp)
        body.writeInteger(records.map(\.timestamp).max()!)
        body.writeInteger(producer?.id ?? -1)
        body.writeInteger(producer?.epoch ?? -1)
        body.writeInteger(producer?.sequence ?? -1)
        body.writeInteger(Int32(records.count))
        var record = allocator.buffer(capacity: 256)
        for (delta, element) in records.enumerated() {
            record.clear()
            record.writeInteger(Int8(0))  // attributes
            record.writeVarint(element.timestamp - firstTimestamp)
            record.writeVarint(Int64(delta))
            writeVarintBytes(element.key, to: &record)
            writeVarintBytes(element.value, to: &record)
            record.writeVarint(0)  // headers
            body.writeVarint(Int64(record.readableBytes))
            body.writeImmutableBuffer(record)
        }
        var batch = allocator.buffer(capacity: body.readableBytes + 21)
        batch.writeInteger(Int64(0))  // base offset: the broker assigns it
        batch.writeInteger(Int32(body.readableBytes + 9))  // length after this field: epoch, magic, CRC, body
        batch.writeInteger(Int32(-1))  // partition leader epoch
        batch.writeInteger(Int8(2))  // magic
        batch.writeInteger(CRC32C.checksum(body.readableBytesView))
        batch.writeBuffer(&body)
        return batch
    }

    private static func writeVarintBytes(_ bytes: ByteBuffer?, to buffer: inout ByteBuffer) {
        guard let bytes else { buffer.writeVarint(-1); return }
        buffer.writeVarint(Int64(bytes.readableBytes))
        buffer.writeImmutableBuffer(bytes)
    }

    /// The records of every whole batch in `buffer` (a Fetch response's record set) at offsets
    /// from `fromOffset` on. A broker may end the set with a partial batch (cut at the size
    /// asked for), which is left for the next fetch; control batches (transaction markers) hold
    /// no data and are skipped. `next` is the offset after the last whole batch read (`nil`:
    /// none). Stops after the batch that brings the records to `limit`.
    static func decode(_ buffer: ByteBuffer, fromOffset: Int64, limit: Int = .max) throws -> (records: [KafkaRecord], next: Int64?) {
        var buffer = buffer
        var records: [KafkaRecord] = []
        var next: Int64?
        while buffer.readableBytes >= 12, records.count < limit {
            let start = buffer.readerIndex
            let baseOffset = try buffer.readKafkaInt64()
            let length = Int(try buffer.readKafkaInt32())
            // The fixed part of a batch after its length field is 49 bytes.
            guard length >= 49 else { throw KafkaError.malformed("a record batch of \(length) bytes at offset \(baseOffset)") }
            guard var batch = buffer.readSlice(length: length) else {
                buffer.moveReaderIndex(to: start)
                break  // a partial batch at the end of the set
            }
            _ = try batch.readKafkaInt32()  // partition leader epoch
            let magic = try batch.readKafkaInt8()
            guard magic == 2 else { throw KafkaError.malformed("a message set of magic \(magic); only record batches (magic 2) are read") }
            let crc = UInt32(bitPattern: try batch.readKafkaInt32())
            guard CRC32C.checksum(batch.readableBytesView) == crc else {
                throw KafkaError(code: 2, "a record batch at offset \(baseOffset) fails its CRC")
            }
            let attributes = try batch.readKafkaInt16()
            next = baseOffset &+ Int64(try batch.readKafkaInt32()) &+ 1  // from the last offset delta
            let firstTimestamp = try batch.readKafkaInt64()
            batch.moveReaderIndex(forwardBy: 8 + 8 + 2 + 4)  // max timestamp, producer id, epoch, sequence
            let count = try batch.readKafkaInt32()
            if attributes & 0x20 != 0 { continue }  // a control batch
            var payload = try decompress(batch, codec: attributes & 0x07, baseOffset: baseOffset)
            for _ in 0..<max(0, count) {
                let record = try readRecord(&payload, baseOffset: baseOffset, firstTimestamp: firstTimestamp)
                if record.offset >= fromOffset { records.append(record) }
            }
        }
        return (records, next)
    }

    private static func decompress(_ records: ByteBuffer, codec: Int16, baseOffset: Int64) throws -> ByteBuffer {
        switch codec {
        case 0: return records
        case 1:
            var compressed = records
            do {
                return try compressed.decompress(with: .gzip)
            } catch {
                throw KafkaError(code: 2, "a gzip record batch at offset \(baseOffset) does not decompress: \(error)")
            }
        default:
            let name = [2: "snappy", 3: "lz4", 4: "zstd"][codec] ?? "codec \(codec)"
            throw KafkaError(code: 0, "a record batch at offset \(baseOffset) is compressed with \(name); Armory reads uncompressed and gzip batches only (set the producer's compression.type to none or gzip)")
        }
    }

    private static func readRecord(_ buffer: inout ByteBuffer, baseOffset: Int64, firstTimestamp: Int64) throws -> KafkaRecord {
        let length = try buffer.readVarint()
        guard length >= 0, var record = buffer.readSlice(length: Int(length)) else { throw KafkaError.malformed("a record ran past its batch") }
        _ = try record.readKafkaInt8()  // attributes
        let timestampDelta = try record.readVarint()
        let offsetDelta = try record.readVarint()
        let key = try readVarintBytes(&record)
        let value = try readVarintBytes(&record)
        return KafkaRecord(offset: baseOffset &+ offsetDelta, timestamp: firstTimestamp &+ timestampDelta, key: key, value: value)
    }

    private static func readVarintBytes(_ buffer: inout ByteBuffer) throws -> ByteBuffer? {
        let length = try buffer.readVarint()
        guard length >= 0 else { return nil }
        guard let bytes = buffer.readSlice(length: Int(length)) else { throw KafkaError.malformed("a record's key or value ran past it") }
        return bytes
    }
}

/// CRC-32C (Castagnoli), the checksum of record batches.
enum CRC32C {
    private static let table: [UInt32] = (0..<256).map { index in
        var crc = UInt32(index)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        return crc
    }

    static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { table in
            for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        }
        return crc ^ 0xFFFF_FFFF
    }
}
