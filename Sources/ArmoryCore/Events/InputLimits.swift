import Foundation

/// What a client may send: the bounds every store can hold, checked where a request comes in
/// so that nothing accepted can fail later, in a batch with other clients' events, or on a
/// later start. README, "Limits and guarantees", lists them for users.
public enum InputLimits {
    /// The longest user id, in UTF-8 bytes (recommendations and events alike).
    public static let maximumUserIDBytes = 256
    /// The largest engagement value. Sums of squares of values up to this bound stay finite
    /// and exact enough for any realistic number of decisions.
    public static let maximumValue = 1e9
    /// Events may be stamped at most this far in the future (clock skew).
    public static let maximumClockSkew: TimeInterval = 300
    /// Events may be stamped at most this far in the past (a client's offline queue, a backfill).
    public static let maximumAge: TimeInterval = 365 * 86_400
    /// The largest movie id: what every store's integer column and the decision id hold.
    public static let maximumMovieID = Int(Int32.max)

    /// Why `userID` cannot be stored and signed into a decision id, or `nil` when it can.
    /// Control characters are refused: a NUL cannot be stored in PostgreSQL text, a line break
    /// would split the decision id's fields, and neither is an id anyone means to send.
    public static func problem(userID: String) -> String? {
        if userID.isEmpty { return "user_id is empty" }
        if userID.utf8.count > maximumUserIDBytes {
            return "user_id is \(userID.utf8.count) bytes; it may be at most \(maximumUserIDBytes)"
        }
        if let index = userID.unicodeScalars.firstIndex(where: isControl) {
            let scalar = userID.unicodeScalars[index]
            let offset = userID.unicodeScalars.distance(from: userID.unicodeScalars.startIndex, to: index)
            return "user_id has a control character (U+\(String(format: "%04X", scalar.value))) at character \(offset); ids may not contain control characters"
        }
        return nil
    }

    /// Why `time` is outside the window events may be stamped in, relative to `now`, or `nil`.
    public static func problem(time: Date, now: Date) -> String? {
        let offset = time.timeIntervalSince(now)
        if offset > maximumClockSkew {
            return "time is more than \(Int(maximumClockSkew / 60)) minutes in the future"
        }
        if offset < -maximumAge || !offset.isFinite {
            return "time is more than \(Int(maximumAge / 86_400)) days in the past"
        }
        return nil
    }

    /// C0 and C1 control characters and DEL.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}
