import ArmoryCore
import Foundation

extension ClickHouseMetricsStore {
    /// Each unit's first impression in the phase, by `argMin` over its decisions: a scan of the
    /// phases' impressions, grouped by user (the hourly totals cannot answer it: a user active in
    /// two hours is one unit). Two impressions in the same second are ordered by decision id, so
    /// the answer does not depend on the order rows are read in (which differs across shards).
    public func firstAssignments(_ phases: [ExperimentPhase]) async throws -> [FirstAssignment] {
        guard !phases.isEmpty else { return [] }
        let experiments = ClickHouseSQL.list(phases.map(\.experiment))
        let since = phases.map {
            "(experiment = \(ClickHouseSQL.literal($0.experiment)) AND decision_time >= \(ClickHouseSQL.literal($0.since)))"
        }.joined(separator: " OR ")
        let text = try await client.execute("""
            SELECT experiment, first_arm AS arm, first_version AS weight_version, count() AS units
            FROM (
              SELECT experiment, user_id, argMin(arm, (decision_time, decision_id)) AS first_arm,
                     argMin(weight_version, (decision_time, decision_id)) AS first_version
              FROM events
              WHERE type = 'impression' AND experiment IN \(experiments) AND (\(since))
              GROUP BY experiment, user_id
            )
            GROUP BY experiment, arm, weight_version
            ORDER BY experiment, arm, weight_version
            FORMAT JSONEachRow
            """, settings: ["output_format_json_quote_64bit_integers": "0"])
        return try Self.rows(text, as: AssignmentRow.self).map {
            FirstAssignment(experiment: $0.experiment, arm: $0.arm, weightVersion: $0.weight_version, units: $0.units)
        }
    }

    fileprivate struct AssignmentRow: Decodable {
        var experiment: String
        var arm: String
        var weight_version: Int
        var units: Int
    }
}
