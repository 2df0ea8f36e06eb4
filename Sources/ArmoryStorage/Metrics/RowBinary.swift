import ArmoryCore
import NIOCore

/// Events in ClickHouse's `RowBinary` input format, the columns of the `events` table in
/// ``columns`` order: fixed-width little-endian numbers, strings and arrays prefixed with their
/// length as a LEB128 varint. No field names, no escaping and no number formatting: less for
/// Armory to write and ClickHouse to parse than `JSONEachRow`, and fewer bytes to send.
package enum RowBinary {
    /// The `events` columns, in the order ``append(_:to:)`` writes them.
    static let columns = [
        "time", "event_id", "decision_id", "decision_time", "experiment", "arm", "config_version", "weight_version",
        "user_id", "movie_id", "type", "value", "position", "items", "served_by", "failure", "model",
    ]

    package static func append(_ event: Event, to buffer: inout ByteBuffer) {
        buffer.writeInteger(dateTime(event.time.timeIntervalSince1970), endianness: .little)
        string(storedEventID(event), to: &buffer)
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
        string(event.servedBy ?? "", to: &buffer)
        string(event.moduleFailure?.rawValue ?? "", to: &buffer)
        string(event.model ?? "", to: &buffer)
    }

    /// A batch's rows, encoded a thousand events at a time as they are asked for (by the HTTP
    /// client sending them), each chunk allocated once at its size.
    package struct Chunks: AsyncSequence, Sendable {
        /// Events per chunk: about 330 KB of impressions.
        package static let eventsPerChunk = 1_000

        let events: [Event]
        /// Each chunk's bytes, measured once: for its buffer, and summed for `length`.
        let chunkLengths: [Int]
        /// The bytes of all the chunks together.
        package var length: Int { chunkLengths.reduce(0, +) }

        package init(events: [Event]) {
            self.events = events
            chunkLengths = stride(from: 0, to: events.count, by: Self.eventsPerChunk).map { start in
                events[start..<Swift.min(start + Self.eventsPerChunk, events.count)].reduce(0) { $0 + RowBinary.size(of: $1) }
            }
        }

        package func makeAsyncIterator() -> AsyncIterator {
            AsyncIterator(chunks: self)
        }

        package struct AsyncIterator: AsyncIteratorProtocol {
            let chunks: Chunks
            var index = 0

            package mutating func next() async -> ByteBuffer? {
                guard index < chunks.chunkLengths.count else { return nil }
                let start = index * Chunks.eventsPerChunk
                var buffer = ByteBuffer()
                buffer.reserveCapacity(chunks.chunkLengths[index])
                for event in chunks.events[start..<Swift.min(start + Chunks.eventsPerChunk, chunks.events.count)] {
                    RowBinary.append(event, to: &buffer)
                }
                index += 1
                return buffer
            }
        }
    }

    /// How many bytes ``append(_:to:)`` writes for `event`.
    package static func size(of event: Event) -> Int {
        func string(_ text: String) -> Int { varintSize(UInt64(text.utf8.count)) + text.utf8.count }
        // time, decision_time, config_version, weight_version, position: 4 bytes each; movie_id,
        // value: 8 each; each item 8.
        return 4 * 5 + 8 * 2 + varintSize(UInt64(event.items.count)) + 8 * event.items.count
            + string(storedEventID(event)) + string(event.decisionID) + string(event.experiment) + string(event.arm)
            + string(event.userID) + string(event.type.rawValue) + string(event.servedBy ?? "") + string(event.moduleFailure?.rawValue ?? "")
            + string(event.model ?? "")
    }

    /// The `event_id` column: ``Event/storedEventID``, empty for an impression. Repeats of an
    /// impression still collapse: the table's key has the decision id and the type.
    static func storedEventID(_ event: Event) -> String {
        event.storedEventID ?? ""
    }

    /// How many bytes ``varint(_:to:)`` writes for `value`.
    static func varintSize(_ value: UInt64) -> Int {
        max(1, (64 - value.leadingZeroBitCount + 6) / 7)
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
