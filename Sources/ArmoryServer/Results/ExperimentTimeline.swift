import ArmoryCore
import ArmoryStorage
import Foundation

/// An experiment's current phase over time: per bucket, each arm's cumulative totals, rate with
/// its 95% interval, P(best) and the weight in force at the bucket's end; and the moments
/// something changed (weight versions, rollbacks, pauses, config versions, guardrails), each
/// with what the history says about it. What the results page draws and
/// `GET /v1/experiments/{id}/timeline` returns.
public struct ExperimentTimeline: Sendable, Codable, Hashable {
    /// One arm at one point: everything up to the point's end.
    public struct ArmPoint: Sendable, Codable, Hashable {
        public var arm: String
        /// Decisions made in the phase up to the point.
        public var trials: Int
        /// Of those, decisions with a success (0 for engagement).
        public var successes: Int
        /// Successes per decision (or mean engagement); `nil` without decisions.
        public var rate: Double?
        /// The posterior mean, the middle of the interval (what the charts draw).
        public var posteriorMean: Double?
        /// The posterior's 95% credible interval.
        public var intervalLow: Double?
        public var intervalHigh: Double?
        /// P(best) from the totals up to the point.
        public var probabilityBest: Double?
        /// The weight of the weight version in force at the point's end.
        public var weight: Double
    }

    /// One bucket.
    public struct Point: Sendable, Codable, Hashable {
        public var start: Date
        /// The bucket's end, or now for the open bucket.
        public var end: Date
        /// The weight version in force at `end`.
        public var weightVersion: Int
        /// The arms, in the experiment's order.
        public var arms: [ArmPoint]
    }

    /// A moment something changed.
    public struct Marker: Sendable, Codable, Hashable {
        /// `scheduled` (the worker's update), `manual`, `config`, or an audit entry's action
        /// (`rollback`, `restore`, `pause`, `resume`, `guardrail`, …).
        public var kind: String
        public var at: Date
        /// Who.
        public var actor: String
        /// One line: what happened and why.
        public var summary: String
        /// The weight version it made, when it made one.
        public var weightVersion: Int?
    }

    /// A stretch of the phase when traffic did not follow the weights: paused (every unit got the
    /// fallback arm) or pinned to one arm by a rollback.
    public struct Override: Sendable, Codable, Hashable {
        /// `paused` or `pinned`.
        public var status: String
        /// For `pinned`, the arm everyone got.
        public var arm: String?
        public var from: Date
        /// When it ended; `nil` while it lasts.
        public var to: Date?
    }

    /// The bucket widths a timeline picks from: the narrowest that keeps the points within
    /// ``maximumPoints``.
    public static let bucketWidths = [1, 5, 10, 30, 60, 300, 600, 900, 1_800, 3_600, 7_200, 10_800, 21_600, 43_200, 86_400, 172_800, 604_800]
    /// At most this many points (an exact P(best) each).
    public static let maximumPoints = 60

    public var experiment: String
    public var objective: Objective
    /// The phase's start.
    public var since: Date
    /// The moment the timeline was read.
    public var until: Date
    public var bucketSeconds: Int
    public var arms: [String]
    public var points: [Point]
    /// Oldest first.
    public var markers: [Marker]
    /// Oldest first.
    public var overrides: [Override]

    /// The narrowest of ``bucketWidths`` with at most ``maximumPoints`` buckets from `since` to `until`.
    public static func bucketWidth(since: Date, until: Date) -> Int {
        let seconds = max(until.timeIntervalSince(since), 0)
        return bucketWidths.first { width in
            let first = (since.timeIntervalSince1970 / Double(width)).rounded(.down)
            let last = (until.timeIntervalSince1970 / Double(width)).rounded(.down)
            return Int(last - first) + 1 <= maximumPoints
        } ?? Int((seconds / Double(maximumPoints - 2) / 86_400).rounded(.up)) * 86_400  // past 59 weeks: whole days
    }

    /// The points as CSV (RFC 4180), one row per point and arm, with a header (the markers and
    /// overrides are in the JSON).
    public var csv: String {
        let time = ISO8601DateFormatter()
        let header = ["experiment", "start", "end", "weight_version", "arm", "trials", "successes", "rate", "posterior_mean", "interval_low",
                      "interval_high", "probability_best", "weight"]
        return CSVText.table(header: header, rows: points.flatMap { point in
            point.arms.map { arm in
                [CSVText.field(experiment), time.string(from: point.start), time.string(from: point.end), String(point.weightVersion),
                 CSVText.field(arm.arm), String(arm.trials), String(arm.successes), CSVText.number(arm.rate),
                 CSVText.number(arm.posteriorMean), CSVText.number(arm.intervalLow),
                 CSVText.number(arm.intervalHigh), CSVText.number(arm.probabilityBest), String(arm.weight)]
            }
        })
    }
}
