import ArmoryCore
import Foundation
import PostgresNIO

extension PostgresStateStore {
    /// Runs `insert`, an `INSERT … SELECT` that numbers its row as the experiment's last version
    /// plus one and returns it, in one round trip. Two writers that pick the same number collide
    /// on the primary key; the loser's insert is undone and it tries again with the next number,
    /// so numbers never repeat or skip.
    func appendNumbered(_ insert: PostgresQuery) async throws -> Int {
        for attempt in 0..<100 {
            do {
                let rows = try await client.query(insert, logger: logger)
                for try await version in rows.decode(Int.self) { return version }
                throw StorageError(.failed, "\(location): an append returned no version")
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
                try await Task.sleep(for: .microseconds(50 * (attempt + 1)))
            }
        }
        throw StorageError(.failed, "\(location): an append lost 100 races for a version number in a row")
    }

    public func appendConfigVersion(_ config: NewConfigVersion) async throws -> ConfigVersion {
        let parsed = try HistoryCoding.encode(config.experiment)
        let id = config.experiment.id
        return try await mapErrors {
            let version = try await appendNumbered("""
                INSERT INTO config_versions (experiment, version, sha256, yaml, parsed, source_file, actor, created_at)
                SELECT \(id), coalesce(max(version), 0) + 1, \(config.sha256), \(config.yaml), \(parsed)::jsonb, \(config.sourceFile),
                       \(config.actor), \(config.createdAt)
                FROM config_versions WHERE experiment = \(id)
                RETURNING version
                """)
            return ConfigVersion(experimentID: id, version: version, sha256: config.sha256, yaml: config.yaml,
                                 experiment: config.experiment, sourceFile: config.sourceFile, actor: config.actor, createdAt: config.createdAt)
        }
    }

    public func configVersions(of experimentID: String) async throws -> [ConfigVersion] {
        try await mapErrors {
            let rows = try await client.query("""
                SELECT version, sha256, yaml, parsed::text, source_file, actor, created_at FROM config_versions
                WHERE experiment = \(experimentID) ORDER BY version
                """, logger: logger)
            var versions: [ConfigVersion] = []
            for try await (version, sha256, yaml, parsed, sourceFile, actor, createdAt) in rows.decode((Int, String, String, String, String, String, Date).self) {
                versions.append(ConfigVersion(experimentID: experimentID, version: version, sha256: sha256, yaml: yaml,
                                              experiment: try HistoryCoding.decode(Experiment.self, from: parsed),
                                              sourceFile: sourceFile, actor: actor, createdAt: createdAt))
            }
            return versions
        }
    }

    public func appendWeightVersion(_ weights: WeightVersion) async throws -> WeightVersion {
        let body = try HistoryCoding.encode(weights)
        return try await mapErrors {
            // The stored body carries the version the store gave it.
            var stored = weights
            stored.version = try await appendNumbered("""
                WITH next AS (SELECT coalesce(max(version), 0) + 1 AS version FROM weight_versions WHERE experiment = \(weights.experimentID))
                INSERT INTO weight_versions (experiment, version, config_version, reason, actor, created_at, body)
                SELECT \(weights.experimentID), next.version, \(weights.configVersion), \(weights.reason.rawValue), \(weights.actor),
                       \(weights.createdAt), jsonb_set(\(body)::jsonb, '{version}', to_jsonb(next.version))
                FROM next
                RETURNING version
                """)
            return stored
        }
    }

    public func appendWeightVersion(_ weights: WeightVersion, after previous: Int) async throws -> WeightVersion? {
        let body = try HistoryCoding.encode(weights)
        return try await mapErrors {
            // Inserts only when the newest version is `previous`; a concurrent append of the same
            // number loses on the primary key: either way, another process was first.
            do {
                let rows = try await client.query("""
                    WITH next AS (SELECT coalesce(max(version), 0) + 1 AS version FROM weight_versions WHERE experiment = \(weights.experimentID))
                    INSERT INTO weight_versions (experiment, version, config_version, reason, actor, created_at, body)
                    SELECT \(weights.experimentID), next.version, \(weights.configVersion), \(weights.reason.rawValue), \(weights.actor),
                           \(weights.createdAt), jsonb_set(\(body)::jsonb, '{version}', to_jsonb(next.version))
                    FROM next WHERE next.version = \(previous + 1)
                    RETURNING version
                    """, logger: logger)
                for try await version in rows.decode(Int.self) {
                    var stored = weights
                    stored.version = version
                    return stored
                }
                return nil
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
                return nil
            }
        }
    }

    public func weightVersions(of experimentID: String, after version: Int) async throws -> [WeightVersion] {
        try await mapErrors {
            let rows = try await client.query(
                "SELECT body::text FROM weight_versions WHERE experiment = \(experimentID) AND version > \(version) ORDER BY version",
                logger: logger)
            var versions: [WeightVersion] = []
            for try await body in rows.decode(String.self) {
                versions.append(try HistoryCoding.decode(WeightVersion.self, from: body))
            }
            return versions
        }
    }

    public func appendStatusChange(_ change: NewStatusChange) async throws -> StatusChange {
        try await mapErrors {
            let version = try await appendNumbered("""
                INSERT INTO status_changes (experiment, version, status, pinned_arm, actor, reason, created_at)
                SELECT \(change.experimentID), coalesce(max(version), 0) + 1, \(change.status.rawValue), \(change.pinnedArm),
                       \(change.actor), \(change.reason), \(change.createdAt)
                FROM status_changes WHERE experiment = \(change.experimentID)
                RETURNING version
                """)
            return StatusChange(experimentID: change.experimentID, version: version, status: change.status, pinnedArm: change.pinnedArm,
                                actor: change.actor, reason: change.reason, createdAt: change.createdAt)
        }
    }

    public func statusChanges(of experimentID: String) async throws -> [StatusChange] {
        try await mapErrors {
            let rows = try await client.query("""
                SELECT version, status, pinned_arm, actor, reason, created_at FROM status_changes
                WHERE experiment = \(experimentID) ORDER BY version
                """, logger: logger)
            var changes: [StatusChange] = []
            for try await (version, status, pinnedArm, actor, reason, createdAt) in rows.decode((Int, String, String?, String, String, Date).self) {
                guard let parsed = ExperimentStatus(rawValue: status) else {
                    throw StorageError(.failed, "\(location): status change with unknown status '\(status)'")
                }
                changes.append(StatusChange(experimentID: experimentID, version: version, status: parsed, pinnedArm: pinnedArm,
                                            actor: actor, reason: reason, createdAt: createdAt))
            }
            return changes
        }
    }

    public func appendAuditEntry(_ entry: NewAuditEntry) async throws -> AuditEntry {
        try await mapErrors {
            let rows = try await client.query("""
                INSERT INTO audit_log (experiment, actor, action, reason, detail, created_at)
                VALUES (\(entry.experimentID), \(entry.actor), \(entry.action), \(entry.reason), \(entry.detail), \(entry.createdAt))
                RETURNING id
                """, logger: logger)
            var id = 0
            for try await value in rows.decode(Int.self) { id = value }
            return AuditEntry(id: id, experimentID: entry.experimentID, actor: entry.actor, action: entry.action, reason: entry.reason,
                              detail: entry.detail, createdAt: entry.createdAt)
        }
    }

    public func auditEntries(experimentID: String?, limit: Int) async throws -> [AuditEntry] {
        try await mapErrors {
            let rows = try await client.query("""
                SELECT id, experiment, actor, action, reason, detail, created_at FROM audit_log
                WHERE \(experimentID)::text IS NULL OR experiment = \(experimentID) ORDER BY id DESC LIMIT \(limit)
                """, logger: logger)
            var entries: [AuditEntry] = []
            for try await (id, experiment, actor, action, reason, detail, createdAt) in rows.decode((Int, String?, String, String, String, String, Date).self) {
                entries.append(AuditEntry(id: id, experimentID: experiment, actor: actor, action: action, reason: reason, detail: detail,
                                          createdAt: createdAt))
            }
            return entries
        }
    }

    public func auditEntries(experimentID: String, actions: [String], since: Date) async throws -> [AuditEntry] {
        try await mapErrors {
            let rows = try await client.query("""
                SELECT id, experiment, actor, action, reason, detail, created_at FROM audit_log
                WHERE experiment = \(experimentID) AND created_at >= \(since) AND action = ANY(\(actions)) ORDER BY id
                """, logger: logger)
            var entries: [AuditEntry] = []
            for try await (id, experiment, actor, action, reason, detail, createdAt) in rows.decode((Int, String?, String, String, String, String, Date).self) {
                entries.append(AuditEntry(id: id, experimentID: experiment, actor: actor, action: action, reason: reason, detail: detail,
                                          createdAt: createdAt))
            }
            return entries
        }
    }

    public func historyHeads() async throws -> [String: HistoryHead] {
        try await mapErrors {
            let rows = try await client.query("""
                SELECT experiment, max(config), max(weights), max(status) FROM (
                  SELECT experiment, max(version) AS config, 0 AS weights, 0 AS status FROM config_versions GROUP BY experiment
                  UNION ALL SELECT experiment, 0, max(version), 0 FROM weight_versions GROUP BY experiment
                  UNION ALL SELECT experiment, 0, 0, max(version) FROM status_changes GROUP BY experiment
                ) AS heads GROUP BY experiment
                """, logger: logger)
            var heads: [String: HistoryHead] = [:]
            for try await (experiment, config, weights, status) in rows.decode((String, Int, Int, Int).self) {
                heads[experiment] = HistoryHead(configVersion: config, weightVersion: weights, statusVersion: status)
            }
            return heads
        }
    }
}
