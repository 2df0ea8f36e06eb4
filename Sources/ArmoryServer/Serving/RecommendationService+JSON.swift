import ArmoryStorage
import NIOCore

extension RecommendationService.Recommendations {
    /// The response body, written by hand: the recommendation route is the hot path, and
    /// Foundation's `JSONEncoder` took more of its time than everything else together. Keys in
    /// the same order and form as ``APIJSON``'s (sorted, snake_case); a whole-number score is
    /// written without a fraction (as `JSONEncoder` writes it), one that is not a finite number
    /// as `null`. A test checks it decodes to the same value. Bytes are gathered in an array
    /// (appends are cheap there) and copied into the buffer once.
    public func jsonBuffer() -> ByteBuffer {
        var json: [UInt8] = []
        json.reserveCapacity(
            160 + algorithm.utf8.count + arm.utf8.count + decisionID.utf8.count + experiment.utf8.count
                + items.reduce(0) { $0 + 80 + $1.title.utf8.count })
        json.append(#"{"algorithm":"#)
        json.appendJSONString(algorithm)
        json.append(#","arm":"#)
        json.appendJSONString(arm)
        json.append(#","decision_id":"#)
        json.appendJSONString(decisionID)
        json.append(#","experiment":"#)
        json.appendJSONString(experiment)
        json.append(fallbackUsed ? #","fallback_used":true"# : #","fallback_used":false"#)
        json.append(inExperiment ? #","in_experiment":true,"items":["# : #","in_experiment":false,"items":["#)
        for (index, item) in items.enumerated() {
            json.append(index == 0 ? #"{"movie_id":"# : #",{"movie_id":"#)
            json.appendDecimal(item.movieID)
            json.append(#","score":"#)
            if !item.score.isFinite {
                json.append("null")
            } else if item.score == item.score.rounded(), abs(item.score) < 1e15 {
                json.appendDecimal(Int(item.score))
            } else {
                json.append(contentsOf: item.score.description.utf8)
            }
            json.append(#","title":"#)
            json.appendJSONString(item.title)
            json.append(UInt8(ascii: "}"))
        }
        json.append("]}")
        var buffer = ByteBuffer()
        buffer.reserveCapacity(json.count)
        buffer.writeBytes(json)
        return buffer
    }
}

private extension [UInt8] {
    mutating func append(_ text: StaticString) {
        append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// `text` as a JSON string: quotes, backslashes and control characters escaped, the rest
    /// (UTF-8 as it is) copied.
    mutating func appendJSONString(_ text: String) {
        append(UInt8(ascii: "\""))
        defer { append(UInt8(ascii: "\"")) }
        // Most strings need no escape: copied at once.
        let copied = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            guard !bytes.contains(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 < 0x20 }) else { return false }
            append(contentsOf: bytes)
            return true
        }
        guard copied != true else { return }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): append("\\\"")
            case UInt8(ascii: "\\"): append("\\\\")
            case ..<0x20:
                let hex: StaticString = "0123456789abcdef"
                append("\\u00")
                append(hex.utf8Start[Int(byte >> 4)])
                append(hex.utf8Start[Int(byte & 0x0F)])
            default: append(byte)
            }
        }
    }
}
