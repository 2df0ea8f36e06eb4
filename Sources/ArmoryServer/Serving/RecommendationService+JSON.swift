import ArmoryStorage
import NIOCore

extension RecommendationService.Recommendations {
    /// The response body, written by hand: the recommendation route is the hot path, and
    /// Foundation's `JSONEncoder` took more of its time than everything else together. Keys in
    /// the same order and form as ``APIJSON``'s (sorted, snake_case); a score that is not a
    /// finite number is written as `null`. A test checks it decodes to the same value.
    public func jsonBuffer() -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(160 + items.count * 80)
        buffer.writeStaticString(#"{"algorithm":"#)
        Self.write(algorithm, to: &buffer)
        buffer.writeStaticString(#","arm":"#)
        Self.write(arm, to: &buffer)
        buffer.writeStaticString(#","decision_id":"#)
        Self.write(decisionID, to: &buffer)
        buffer.writeStaticString(#","experiment":"#)
        Self.write(experiment, to: &buffer)
        buffer.writeStaticString(fallbackUsed ? #","fallback_used":true"# : #","fallback_used":false"#)
        buffer.writeStaticString(inExperiment ? #","in_experiment":true,"items":["# : #","in_experiment":false,"items":["#)
        for (index, item) in items.enumerated() {
            buffer.writeStaticString(index == 0 ? #"{"movie_id":"# : #",{"movie_id":"#)
            buffer.writeString(String(item.movieID))
            buffer.writeStaticString(#","score":"#)
            if item.score.isFinite {
                buffer.writeString(item.score.description)
            } else {
                buffer.writeStaticString("null")
            }
            buffer.writeStaticString(#","title":"#)
            Self.write(item.title, to: &buffer)
            buffer.writeInteger(UInt8(ascii: "}"))
        }
        buffer.writeStaticString("]}")
        return buffer
    }

    static func write(_ text: String, to buffer: inout ByteBuffer) {
        buffer.writeJSONString(text)
    }
}
