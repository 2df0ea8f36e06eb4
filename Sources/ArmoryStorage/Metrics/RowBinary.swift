import NIOCore

/// Events in ClickHouse's `RowBinary` input format, the columns of the `events` table in
/// ``columns`` order: fixed-width little-endian numbers, strings and arrays prefixed with their
/// length as a LEB128 varint. No field names, no escaping and no number formatting: less for
/// Armory to write and ClickHouse to parse than `JSONEachRow`, and fewer bytes to send.
enum RowBinary {
    /// The `events` columns, in the order ``append(_:to:)`` writes them.
    static let columns = [
        "time", "event_id", "decision_id", "decision_time", "experiment", "arm", "config_version", "weight_version",
        "user_id", "movie_id", "type", "value", "position", "items",
    ]

    static func append(_ event: Event, to buffer: inout ByteBuffer) {
        buffer.writeInteger(dateTime(event.time.timeIntervalSince1970), endianness: .little)
        string(event.eventID, to: &buffer)
        string(event.decisionID, to: &buffer)
        buffer.writeInteger(dateTime(event.decisionTime.timeIntervalSince1970), endianness: .little)
        string(event.experiment, to: &buffer)
        string(event.arm, to: &buffer)
        buffer.writeInteger(UInt32(clamping: event.configVersion), endianness: .little)
        buffer.writeInteger(UInt32(clamping: event.weightVersion), endianness: .little)
        string(event.userID, to: &buffer)
        buffer.writeInteger(Int64(event.movieID), endianness: .little)
        string(event.type.rawValue, to: &buffer)
        buffer.writeInteger((event.value.isFinite ? event.value : 0).bitPattern, endianness: .little)
        buffer.writeInteger(Int32(clamping: event.position), endianness: .little)
        varint(UInt64(event.items.count), to: &buffer)
        for item in event.items { buffer.writeInteger(Int64(item), endianness: .little) }
    }

    /// A `DateTime`: whole unix seconds, clamped to the range the column holds (1970 to 2106).
    static func dateTime(_ seconds: Double) -> UInt32 {
        guard seconds.isFinite else { return 0 }
        return UInt32(min(max(seconds.rounded(.down), 0), Double(UInt32.max)))
    }

    static func string(_ text: String, to buffer: inout ByteBuffer) {
        varint(UInt64(text.utf8.count), to: &buffer)
        buffer.writeString(text)
    }

    static func varint(_ value: UInt64, to buffer: inout ByteBuffer) {
        var value = value
        while value >= 0x80 {
            buffer.writeInteger(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        buffer.writeInteger(UInt8(value))
    }
}
