import NIOCore

/// The primitive types of the Kafka protocol's non-flexible versions (the only versions this
/// client speaks): big-endian integers, strings with an Int16 length, byte arrays and arrays
/// with an Int32 length (-1 for null), and the zigzag varints inside record batches.
extension ByteBuffer {
    mutating func writeKafkaString(_ value: String) {
        writeInteger(Int16(value.utf8.count))
        writeString(value)
    }

    mutating func writeKafkaNullableString(_ value: String?) {
        guard let value else { writeInteger(Int16(-1)); return }
        writeKafkaString(value)
    }

    mutating func writeKafkaBytes(_ value: ByteBuffer?) {
        guard var value else { writeInteger(Int32(-1)); return }
        writeInteger(Int32(value.readableBytes))
        writeBuffer(&value)
    }

    mutating func writeKafkaArray<Element>(_ elements: [Element], _ write: (inout ByteBuffer, Element) -> Void) {
        writeInteger(Int32(elements.count))
        for element in elements { write(&self, element) }
    }

    mutating func writeKafkaBool(_ value: Bool) {
        writeInteger(UInt8(value ? 1 : 0))
    }

    /// A zigzag-encoded variable-length integer (records' lengths, deltas and header counts).
    mutating func writeVarint(_ value: Int64) {
        var zigzag = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        while zigzag >= 0x80 {
            writeInteger(UInt8(truncatingIfNeeded: zigzag) | 0x80)
            zigzag >>= 7
        }
        writeInteger(UInt8(zigzag))
    }

    mutating func readKafkaInt8() throws -> Int8 { try readKafka(Int8.self) }
    mutating func readKafkaInt16() throws -> Int16 { try readKafka(Int16.self) }
    mutating func readKafkaInt32() throws -> Int32 { try readKafka(Int32.self) }
    mutating func readKafkaInt64() throws -> Int64 { try readKafka(Int64.self) }

    mutating func readKafkaBool() throws -> Bool { try readKafka(UInt8.self) != 0 }

    private mutating func readKafka<Integer: FixedWidthInteger>(_ type: Integer.Type) throws -> Integer {
        guard let value = readInteger(as: type) else { throw KafkaError.malformed("the response ended early") }
        return value
    }

    mutating func readKafkaString() throws -> String {
        guard let value = try readKafkaNullableString() else { throw KafkaError.malformed("a null where a string must be") }
        return value
    }

    mutating func readKafkaNullableString() throws -> String? {
        let length = try readKafkaInt16()
        guard length >= 0 else { return nil }
        guard let value = readString(length: Int(length)) else { throw KafkaError.malformed("a string ran past the response") }
        return value
    }

    mutating func readKafkaBytes() throws -> ByteBuffer? {
        let length = try readKafkaInt32()
        guard length >= 0 else { return nil }
        guard let value = readSlice(length: Int(length)) else { throw KafkaError.malformed("bytes ran past the response") }
        return value
    }

    /// An array of `read`'s elements; a null array reads as empty.
    mutating func readKafkaArray<Element>(_ read: (inout ByteBuffer) throws -> Element) throws -> [Element] {
        let count = try readKafkaInt32()
        guard count > 0 else { return [] }
        // Every element takes at least a byte: a count beyond what is left is a broken response,
        // not a reason to reserve gigabytes.
        guard Int(count) <= readableBytes else { throw KafkaError.malformed("an array of \(count) in \(readableBytes) bytes") }
        var elements: [Element] = []
        elements.reserveCapacity(Int(count))
        for _ in 0..<count { elements.append(try read(&self)) }
        return elements
    }

    /// An unsigned varint (the lengths and counts of flexible versions).
    mutating func readUnsignedVarint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard let byte = readInteger(as: UInt8.self) else { throw KafkaError.malformed("a varint ran past the response") }
            result |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
            guard shift < 64 else { throw KafkaError.malformed("a varint longer than 10 bytes") }
        }
    }

    /// Skips a flexible version's tagged fields (a count, then each tag's number, size and bytes).
    mutating func skipKafkaTaggedFields() throws {
        for _ in 0..<(try readUnsignedVarint()) {
            _ = try readUnsignedVarint()
            let size = try readUnsignedVarint()
            guard size <= UInt64(readableBytes) else { throw KafkaError.malformed("a tagged field ran past the response") }
            moveReaderIndex(forwardBy: Int(size))
        }
    }

    mutating func readVarint() throws -> Int64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard let byte = readInteger(as: UInt8.self) else { throw KafkaError.malformed("a varint ran past the record") }
            result |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { break }
            shift += 7
            guard shift < 64 else { throw KafkaError.malformed("a varint longer than 10 bytes") }
        }
        return Int64(bitPattern: result >> 1) ^ -Int64(bitPattern: result & 1)
    }
}
