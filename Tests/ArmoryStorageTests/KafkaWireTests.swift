@testable import ArmoryStorage
import NIOCore
import Testing

/// The Kafka client's encodings, checked against values computed another way (named per test).
@Suite struct KafkaWireTests {
    @Test("varints round-trip, with zigzag signs, at every length up to 10 bytes")
    func varints() throws {
        let values: [Int64] = [0, 1, -1, 63, -64, 64, 300, -300, Int64(Int32.max), Int64(Int32.min), .max, .min]
        var buffer = ByteBuffer()
        for value in values { buffer.writeVarint(value) }
        // Kafka's (protobuf's) zigzag: 1 → 0x02, -1 → 0x01, 300 → 0xd8 0x04.
        #expect(Array(buffer.readableBytesView.prefix(3)) == [0x00, 0x02, 0x01])
        var single = ByteBuffer()
        single.writeVarint(300)
        #expect(Array(single.readableBytesView) == [0xd8, 0x04])
        for value in values { #expect(try buffer.readVarint() == value) }
        #expect(buffer.readableBytes == 0)
        var truncated = ByteBuffer(bytes: [0x80, 0x80])
        #expect(throws: KafkaError.self) { try truncated.readVarint() }
    }

    @Test("CRC-32C is the Castagnoli checksum (the standard check value of \"123456789\")")
    func crc() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
    }

    @Test("murmur2 and the partition match kafka-python's default partitioner")
    func murmur2() {
        // Printed by kafka-python 3.0.12: kafka.partitioner.default.murmur2(key) & 0xffffffff,
        // and (that & 0x7fffffff) % 12.
        let expected: [([UInt8], UInt32, Int)] = [
            ([], 275_646_681, 9), (Array("a".utf8), 2_731_586_172, 4), (Array("ab".utf8), 316_155_434, 2),
            (Array("abc".utf8), 479_470_107, 3), (Array("abcd".utf8), 2_971_317_748, 8),
            (Array("dec_0123456789abcdef".utf8), 2_972_849_014, 2), (Array("décision-é".utf8), 424_911_788, 8),
        ]
        for (key, hash, partition) in expected {
            #expect(Murmur2.hash(key) == hash)
            #expect(Murmur2.partition(of: key, count: 12) == partition)
        }
    }

    @Test("a record batch decodes to what was encoded; a partial batch at the end is left for later")
    func recordBatch() throws {
        let records = (0..<5).map { index in
            KafkaRecord(timestamp: 1_700_000_000_000 + Int64(index * 7), key: index == 2 ? nil : ByteBuffer(string: "key-\(index)"),
                        value: ByteBuffer(string: String(repeating: "v", count: index * 100)))
        }
        let batch = KafkaRecordBatch.encode(records, producer: .init(id: 42, epoch: 3, sequence: 17))
        // The header as the format defines it: magic 2 at byte 16, the producer fields at 43.
        #expect(batch.getInteger(at: 16, as: Int8.self) == 2)
        #expect(batch.getInteger(at: 43, as: Int64.self) == 42)
        #expect(batch.getInteger(at: 51, as: Int16.self) == 3)
        #expect(batch.getInteger(at: 53, as: Int32.self) == 17)
        // Two batches back to back, the second as if at offset 5, then half of a third.
        var second = batch
        second.setInteger(Int64(5), at: 0)
        var set = ByteBuffer()
        set.writeImmutableBuffer(batch)
        set.writeImmutableBuffer(second)
        set.writeImmutableBuffer(batch.getSlice(at: 0, length: batch.readableBytes / 2)!)
        let (decoded, next) = try KafkaRecordBatch.decode(set, fromOffset: 3)
        #expect(next == 10)
        #expect(decoded.map(\.offset) == [3, 4, 5, 6, 7, 8, 9])
        #expect(decoded.map(\.key) == Array((records[3...] + records).map(\.key)))
        #expect(decoded.map(\.value) == Array((records[3...] + records).map(\.value)))
        #expect(decoded.map(\.timestamp) == Array((records[3...] + records).map(\.timestamp)))
        // One flipped bit fails the checksum.
        var corrupt = batch
        corrupt.setInteger(corrupt.getInteger(at: 70, as: UInt8.self)! ^ 1, at: 70)
        #expect(throws: KafkaError.self) { try KafkaRecordBatch.decode(corrupt, fromOffset: 0) }
    }

    @Test("a large flush is cut into batches under Kafka's 1 MB default, in order, none empty")
    func chunks() {
        let records = (0..<5_000).map { KafkaRecord(timestamp: 0, key: ByteBuffer(string: "k\($0)"), value: ByteBuffer(string: String(repeating: "v", count: 400))) }
        let chunks = KafkaEventQueue.chunks(records)
        #expect(chunks.count > 1)
        #expect(Array(chunks.joined()) == records)
        for chunk in chunks {
            #expect(!chunk.isEmpty)
            #expect(KafkaRecordBatch.encode(chunk, producer: nil).readableBytes < 1 << 20)
        }
        let huge = [KafkaRecord(timestamp: 0, key: nil, value: ByteBuffer(repeating: 1, count: 2 << 20))]
        #expect(KafkaEventQueue.chunks(huge).count == 1)
    }
}
