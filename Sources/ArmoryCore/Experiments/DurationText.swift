/// Durations as written in experiment files: a whole number and a unit, `50ms`, `90s`, `5m`,
/// `2h`, `1d`.
public enum DurationText {
    /// The duration `text` denotes, or `nil` when it is not of that form.
    public static func parse(_ text: String) -> Duration? {
        guard text.count >= 2, text.count <= 12 else { return nil }
        let isMilliseconds = text.hasSuffix("ms")
        let digits = text.dropLast(isMilliseconds ? 2 : 1)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let amount = Int64(digits) else { return nil }
        if isMilliseconds {
            return .milliseconds(amount)
        }
        let seconds: Int64
        switch text.last {
        case "s": seconds = 1
        case "m": seconds = 60
        case "h": seconds = 3_600
        case "d": seconds = 86_400
        default: return nil
        }
        let (total, overflow) = amount.multipliedReportingOverflow(by: seconds)
        return overflow ? nil : .seconds(total)
    }

    /// `duration` in the largest unit that divides it: 300 s → `5m`, 0.05 s → `50ms`.
    public static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        if attoseconds != 0 {
            return "\(seconds * 1_000 + attoseconds / 1_000_000_000_000_000)ms"
        }
        for (unit, size) in [("d", Int64(86_400)), ("h", 3_600), ("m", 60)] where seconds != 0 && seconds % size == 0 {
            return "\(seconds / size)\(unit)"
        }
        return "\(seconds)s"
    }
}
