import Foundation

/// One arm's totals over one bucket of time: the decisions made in it (by their decision time)
/// with all their outcomes, over every weight version. What the results page draws.
public struct TimeSeriesPoint: Sendable, Hashable, Codable {
    /// The bucket's start: a multiple of the bucket's width in Unix seconds.
    public var start: Date
    /// The arm's totals in the bucket (`weightVersion` 0).
    public var totals: ArmAggregate

    /// Creates a point.
    public init(start: Date, totals: ArmAggregate) {
        self.start = start
        self.totals = totals
    }

    /// The arm.
    public var arm: String { totals.arm }
}
