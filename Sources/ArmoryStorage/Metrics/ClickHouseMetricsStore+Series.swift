import ArmoryCore
import Foundation

extension ClickHouseMetricsStore {
    /// Buckets of whole hours sum the hourly totals of the hours that are over before `until`
    /// (as ``periodAggregates(_:)`` does) and count the phase's partial first hour and the hour
    /// holding `until` exactly; narrower buckets cover a short window and count it exactly from
    /// the events.
    public func timeSeries(_ phase: ExperimentPhase, bucketSeconds: Int, until: Date) async throws -> [TimeSeriesPoint] {
        let width = max(bucketSeconds, 1)
        let experiment = ClickHouseSQL.literal(phase.experiment)
        let since = ClickHouseSQL.literal(phase.since)
        let window = "experiment = \(experiment) AND decision_time >= \(since) AND decision_time <= \(ClickHouseSQL.literal(until))"
        let bucket = (expression: "intDiv(toUInt32(decision_time), \(width)) * \(width)", name: "bucket")
        let source: String
        if width % 3_600 == 0 {
            let currentHour = try await refreshClosedHours(ClickHouseSQL.list([phase.experiment]))
            // The hourly totals stop at the hour holding `until` (or the open hour): that hour is counted exactly.
            let closedEnd = min(currentHour, UInt32(max(until.timeIntervalSince1970, 0) / 3_600) * 3_600)
            let firstWholeHour = ClickHouseSQL.literal(Self.hourAfter(phase.since))
            source = """
                SELECT arm, intDiv(toUInt32(hour), \(width)) * \(width) AS bucket, trials, clicked, converted, engagement_sum,
                       engagement_squares, timeouts, errors
                FROM (
                  SELECT arm, hour, argMax(trials, (computed_at, version)) AS trials, argMax(clicked, (computed_at, version)) AS clicked,
                         argMax(converted, (computed_at, version)) AS converted,
                         argMax(engagement_sum, (computed_at, version)) AS engagement_sum,
                         argMax(engagement_squares, (computed_at, version)) AS engagement_squares,
                         argMax(timeouts, (computed_at, version)) AS timeouts, argMax(errors, (computed_at, version)) AS errors
                  FROM arm_period_hours
                  WHERE experiment = \(experiment) AND hour >= \(firstWholeHour) AND hour < toDateTime(\(closedEnd))
                  GROUP BY hour, arm, weight_version
                )
                UNION ALL
                SELECT arm, bucket, trials, clicked, converted, engagement_sum, engagement_squares, timeouts, errors
                FROM (\(Self.exactTotals(
                    prewhere: "decision_time < \(firstWholeHour) OR decision_time >= toDateTime(\(closedEnd))", where: window, bucket: bucket)))
                """
        } else {
            source = """
                SELECT arm, bucket, trials, clicked, converted, engagement_sum, engagement_squares, timeouts, errors
                FROM (\(Self.exactTotals(where: window, bucket: bucket)))
                """
        }
        let text = try await client.execute("""
            SELECT \(experiment) AS experiment, 0 AS weight_version, bucket, arm, sum(trials) AS trials, sum(clicked) AS clicked, sum(converted) AS converted,
                   sum(engagement_sum) AS engagement_sum, sum(engagement_squares) AS engagement_squares,
                   sum(timeouts) AS timeouts, sum(errors) AS errors
            FROM (\(source))
            GROUP BY bucket, arm
            ORDER BY bucket, arm
            FORMAT JSONEachRow
            """, settings: ["output_format_json_quote_64bit_integers": "0"])
        return try Self.rows(text, as: AggregateRow.self).map {
            TimeSeriesPoint(start: Date(timeIntervalSince1970: Double($0.bucket ?? 0)), totals: $0.aggregate)
        }
    }
}
