import ArmoryCore
import Foundation
import GRDB

extension SQLiteStateStore {
    /// The experiment's last version in `table` plus one; call inside a write transaction.
    private static func nextVersion(_ db: Database, table: String, experiment: String) throws -> Int {
        (try Int.fetchOne(db, sql: "SELECT coalesce(max(version), 0) + 1 FROM \(table) WHERE experiment = ?", arguments: [experiment])) ?? 1
    }

    public func appendConfigVersion(_ config: NewConfigVersion) async throws -> ConfigVersion {
        let parsed = try HistoryCoding.encode(config.experiment)
        return try await write { db in
            let version = try Self.nextVersion(db, table: "config_versions", experiment: config.experiment.id)
            try db.execute(sql: """
                INSERT INTO config_versions (experiment, version, sha256, yaml, parsed, source_file, actor, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [config.experiment.id, version, config.sha256, config.yaml, parsed, config.sourceFile, config.actor,
                                 config.createdAt.timeIntervalSince1970])
            return ConfigVersion(experimentID: config.experiment.id, version: version, sha256: config.sha256, yaml: config.yaml,
                                 experiment: config.experiment, sourceFile: config.sourceFile, actor: config.actor, createdAt: config.createdAt)
        }
    }

    public func configVersions(of experimentID: String) async throws -> [ConfigVersion] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM config_versions WHERE experiment = ? ORDER BY version", arguments: [experimentID])
                .map { row in
                    ConfigVersion(experimentID: row["experiment"], version: row["version"], sha256: row["sha256"], yaml: row["yaml"],
                                  experiment: try HistoryCoding.decode(Experiment.self, from: row["parsed"]), sourceFile: row["source_file"],
                                  actor: row["actor"], createdAt: Date(timeIntervalSince1970: row["created_at"]))
                }
        }
    }

    public func appendWeightVersion(_ weights: WeightVersion) async throws -> WeightVersion {
        try await write { db in try Self.insertWeightVersion(db, weights, after: nil)! }
    }

    public func appendWeightVersion(_ weights: WeightVersion, after previous: Int) async throws -> WeightVersion? {
        try await write { db in try Self.insertWeightVersion(db, weights, after: previous) }
    }

    /// Inserts `weights` as the next version (only when the newest is `previous`, when given);
    /// call inside a write transaction.
    private static func insertWeightVersion(_ db: Database, _ weights: WeightVersion, after previous: Int?) throws -> WeightVersion? {
        var stored = weights
        stored.version = try nextVersion(db, table: "weight_versions", experiment: weights.experimentID)
        if let previous, stored.version != previous + 1 { return nil }
        try db.execute(sql: """
            INSERT INTO weight_versions (experiment, version, config_version, reason, actor, created_at, body)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """, arguments: [stored.experimentID, stored.version, stored.configVersion, stored.reason.rawValue, stored.actor,
                             stored.createdAt.timeIntervalSince1970, try HistoryCoding.encode(stored)])
        return stored
    }

    public func weightVersions(of experimentID: String, after version: Int) async throws -> [WeightVersion] {
        let bodies = try await read { db in
            try String.fetchAll(db, sql: "SELECT body FROM weight_versions WHERE experiment = ? AND version > ? ORDER BY version",
                                arguments: [experimentID, version])
        }
        return try bodies.map { try HistoryCoding.decode(WeightVersion.self, from: $0) }
    }

    public func appendStatusChange(_ change: NewStatusChange) async throws -> StatusChange {
        try await write { db in
            let version = try Self.nextVersion(db, table: "status_changes", experiment: change.experimentID)
            try db.execute(sql: """
                INSERT INTO status_changes (experiment, version, status, pinned_arm, actor, reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [change.experimentID, version, change.status.rawValue, change.pinnedArm, change.actor, change.reason,
                                 change.createdAt.timeIntervalSince1970])
            return StatusChange(experimentID: change.experimentID, version: version, status: change.status, pinnedArm: change.pinnedArm,
                                actor: change.actor, reason: change.reason, createdAt: change.createdAt)
        }
    }

    public func statusChanges(of experimentID: String) async throws -> [StatusChange] {
        let location = location
        return try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM status_changes WHERE experiment = ? ORDER BY version", arguments: [experimentID])
                .map { row in
                    let status: String = row["status"]
                    guard let parsed = ExperimentStatus(rawValue: status) else {
                        throw StorageError(.failed, "\(location): status change with unknown status '\(status)'")
                    }
                    return StatusChange(experimentID: row["experiment"], version: row["version"], status: parsed, pinnedArm: row["pinned_arm"],
                                        actor: row["actor"], reason: row["reason"], createdAt: Date(timeIntervalSince1970: row["created_at"]))
                }
        }
    }

    public func appendAuditEntry(_ entry: NewAuditEntry) async throws -> AuditEntry {
        try await write { db in
            try db.execute(sql: "INSERT INTO audit_log (experiment, actor, action, reason, detail, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [entry.experimentID, entry.actor, entry.action, entry.reason, entry.detail,
                                       entry.createdAt.timeIntervalSince1970])
            return AuditEntry(id: Int(db.lastInsertedRowID), experimentID: entry.experimentID, actor: entry.actor, action: entry.action,
                              reason: entry.reason, detail: entry.detail, createdAt: entry.createdAt)
        }
    }

    public func auditEntries(experimentID: String?, limit: Int) async throws -> [AuditEntry] {
        try await read { db in
            let rows = if let experimentID {
                try Row.fetchAll(db, sql: "SELECT * FROM audit_log WHERE experiment = ? ORDER BY id DESC LIMIT ?", arguments: [experimentID, limit])
            } else {
                try Row.fetchAll(db, sql: "SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", arguments: [limit])
            }
            return rows.map { row in
                AuditEntry(id: row["id"], experimentID: row["experiment"], actor: row["actor"], action: row["action"], reason: row["reason"],
                           detail: row["detail"], createdAt: Date(timeIntervalSince1970: row["created_at"]))
            }
        }
    }

    public func auditEntries(experimentID: String, actions: [String], since: Date) async throws -> [AuditEntry] {
        guard !actions.isEmpty else { return [] }
        return try await read { db in
            let placeholders = actions.map { _ in "?" }.joined(separator: ", ")
            let arguments = StatementArguments([experimentID, since.timeIntervalSince1970] as [any DatabaseValueConvertible])
                + StatementArguments(actions)
            return try Row.fetchAll(db, sql: """
                SELECT * FROM audit_log WHERE experiment = ? AND created_at >= ? AND action IN (\(placeholders)) ORDER BY id
                """, arguments: arguments).map { row in
                AuditEntry(id: row["id"], experimentID: row["experiment"], actor: row["actor"], action: row["action"], reason: row["reason"],
                           detail: row["detail"], createdAt: Date(timeIntervalSince1970: row["created_at"]))
            }
        }
    }

    public func historyHeads() async throws -> [String: HistoryHead] {
        try await read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT experiment, max(config) AS config, max(weights) AS weights, max(status) AS status FROM (
                  SELECT experiment, max(version) AS config, 0 AS weights, 0 AS status FROM config_versions GROUP BY experiment
                  UNION ALL SELECT experiment, 0, max(version), 0 FROM weight_versions GROUP BY experiment
                  UNION ALL SELECT experiment, 0, 0, max(version) FROM status_changes GROUP BY experiment
                ) GROUP BY experiment
                """)
            var heads: [String: HistoryHead] = [:]
            for row in rows {
                heads[row["experiment"]] = HistoryHead(configVersion: row["config"], weightVersion: row["weights"], statusVersion: row["status"])
            }
            return heads
        }
    }
}
