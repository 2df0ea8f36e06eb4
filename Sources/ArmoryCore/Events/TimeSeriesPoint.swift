import Foundation

/// The width of a time-series bucket.
public enum TimeBucket: String, Sendable, Hashable, Codable {
    case hour
    case day

    /// Seconds per bucket.
    public var seconds: Int { self == .hour ? 3_600 : 86_400 }
}

/// One arm in one bucket.
public struct TimeSeriesPoint: Sendable, Hashable, Codable {
    /// The bucket's start.
    public var start: Date
    /// The arm.
    public var arm: String
    /// Decisions in the bucket.
    public var trials: Int
    /// Of those, decisions with a click.
    public var clicked: Int
    /// Of those, decisions with a conversion.
    public var converted: Int

    /// Creates a point.
    public init(start: Date, arm: String, trials: Int, clicked: Int, converted: Int) {
        self.start = start
        self.arm = arm
        self.trials = trials
        self.clicked = clicked
        self.converted = converted
    }
}
