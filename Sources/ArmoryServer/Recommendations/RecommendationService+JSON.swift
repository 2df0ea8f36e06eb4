import ArmoryCore
import ArmoryStorage
import NIOCore

extension RecommendationService.Recommendations {
    /// The response body, written by hand: the recommendation route is the hot path, and
    /// Foundation's `JSONEncoder` took more of its time than everything else together. Keys in
    /// the same order and form as ``APIJSON``'s (sorted, snake_case); a whole-number score is
    /// written without a fraction (as `JSONEncoder` writes it), one that is not a finite number
    /// as `null`. A test checks it decodes to the same value.
    ///
    /// Written straight into the memory of one buffer allocated once (``jsonCapacity``): a
    /// response is over a kilobyte, where each allocation takes glibc's slow path (an
    /// intermediate array had cost more than writing the JSON), and each of `ByteBuffer`'s own
    /// writes pays for an exclusivity check (dozens per response).
    public func jsonBuffer() -> ByteBuffer {
        jsonBuffer(capacity: jsonCapacity)
    }

    /// The response body, written into `capacity` bytes, or twice as many until it fits.
    package func jsonBuffer(capacity: Int) -> ByteBuffer {
        var capacity = max(capacity, 16)
        while true {
            var buffer = ByteBufferAllocator().buffer(capacity: capacity)
            var complete = false
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: capacity) { memory in
                var json = JSONWriter(memory)
                write(to: &json)
                complete = !json.overflowed
                return complete ? json.count : 0
            }
            if complete { return buffer }
            // Escapes took more room than the numbers left.
            capacity *= 2
        }
    }

    /// Room for the response when none of its strings needs an escape: each string's bytes and
    /// quotes, each number at its longest (20 digits and a sign for an id, 24 characters for a
    /// score's `description`). Numbers are rarely that long, so the few escapes of a title
    /// usually fit in what they leave; more than that, and ``jsonBuffer()`` starts again with
    /// twice the room. Counting escapes first would mean reading every string twice.
    package var jsonCapacity: Int {
        items.reduce(180 + (model?.utf8.count ?? 0) + algorithm.utf8.count + arm.utf8.count + decisionID.utf8.count + experiment.utf8.count) {
            $0 + 80 + $1.title.utf8.count
        }
    }

    private func write(to json: inout JSONWriter) {
        json.write(#"{"algorithm":"#)
        json.writeString(algorithm)
        json.write(#","arm":"#)
        json.writeString(arm)
        json.write(#","decision_id":"#)
        json.writeString(decisionID)
        json.write(#","experiment":"#)
        json.writeString(experiment)
        json.write(fallbackUsed ? #","fallback_used":true"# : #","fallback_used":false"#)
        json.write(inExperiment ? #","in_experiment":true,"items":["# : #","in_experiment":false,"items":["#)
        for (index, item) in items.enumerated() {
            json.write(index == 0 ? #"{"movie_id":"# : #",{"movie_id":"#)
            json.writeDecimal(item.movieID)
            json.write(#","score":"#)
            if !item.score.isFinite {
                json.write("null")
            } else if item.score == item.score.rounded(), abs(item.score) < 1e15 {
                json.writeDecimal(Int(item.score))
            } else {
                var text = item.score.description
                text.withUTF8 { json.write(UnsafeRawBufferPointer($0)) }
            }
            json.write(#","title":"#)
            json.writeString(item.title)
            json.write("}")
        }
        json.write("]")
        if let model {
            json.write(#","model":"#)
            json.writeString(model)
        }
        json.write("}")
    }
}

/// Writes into memory of a fixed size; a write that does not fit is dropped and marks the
/// writer `overflowed` (never past the end).
private struct JSONWriter {
    private let memory: UnsafeMutableRawBufferPointer
    private(set) var count = 0
    private(set) var overflowed = false

    init(_ memory: UnsafeMutableRawBufferPointer) {
        self.memory = memory
    }

    mutating func write(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        guard !overflowed, bytes.count <= memory.count - count else {
            overflowed = true
            return
        }
        (memory.baseAddress! + count).copyMemory(from: source, byteCount: bytes.count)
        count += bytes.count
    }

    mutating func write(_ text: StaticString) {
        write(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    mutating func write(byte: UInt8) {
        withUnsafeBytes(of: byte) { write($0) }
    }

    mutating func writeDecimal(_ value: Int) {
        if value < 0 { write(byte: UInt8(ascii: "-")) }
        withDecimalDigits(UInt64(value.magnitude)) { write($0) }
    }

    /// `text` as a JSON string: quotes, backslashes and control characters escaped, the rest
    /// (UTF-8 as it is) copied.
    mutating func writeString(_ text: String) {
        write(byte: UInt8(ascii: "\""))
        defer { write(byte: UInt8(ascii: "\"")) }
        // Most strings need no escape: copied at once.
        let copied = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            guard !JSONString.needsEscaping(bytes) else { return false }
            write(UnsafeRawBufferPointer(bytes))
            return true
        }
        guard copied != true else { return }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): write("\\\"")
            case UInt8(ascii: "\\"): write("\\\\")
            case ..<0x20:
                let hex: StaticString = "0123456789abcdef"
                write("\\u00")
                write(byte: hex.utf8Start[Int(byte >> 4)])
                write(byte: hex.utf8Start[Int(byte & 0x0F)])
            default: write(byte: byte)
            }
        }
    }
}

/// What a JSON string must escape.
package enum JSONString {
    /// Whether `bytes` hold a quote, a backslash or a control character (what a JSON string
    /// must escape), looked for eight bytes at a time: a zero byte in `word ^ c` is a byte equal
    /// to `c`, and `(v - 0x01…01) & ~v & 0x80…80` is non-zero exactly when `v` has a zero byte
    /// (or, with `0x20…20` subtracted, a byte below `0x20`).
    package static func needsEscaping(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let quotes = ones &* UInt64(UInt8(ascii: "\"")), backslashes = ones &* UInt64(UInt8(ascii: "\\"))
        let raw = UnsafeRawBufferPointer(bytes)
        var index = 0
        while index + 8 <= raw.count {
            let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            let control = (word &- ones &* 0x20) & ~word
            let quote = ((word ^ quotes) &- ones) & ~(word ^ quotes)
            let backslash = ((word ^ backslashes) &- ones) & ~(word ^ backslashes)
            if (control | quote | backslash) & highs != 0 { return true }
            index += 8
        }
        return bytes[index...].contains { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 < 0x20 }
    }
}
