import ArmoryCore
import Foundation
import GRDB

extension SQLiteStateStore {
    public func appendModelVersion(_ version: ModelVersion) async throws -> ModelVersion {
        try await write { db in
            var stored = version
            stored.version = (try Int.fetchOne(db, sql: "SELECT coalesce(max(version), 0) + 1 FROM model_versions WHERE name = ?",
                                               arguments: [version.name])) ?? 1
            try db.execute(sql: "INSERT INTO model_versions (name, version, created_at, body) VALUES (?, ?, ?, ?)",
                           arguments: [stored.name, stored.version, stored.createdAt.timeIntervalSince1970, try HistoryCoding.encode(stored)])
            return stored
        }
    }

    public func modelVersions(of name: String) async throws -> [ModelVersion] {
        let bodies = try await read { db in
            try String.fetchAll(db, sql: "SELECT body FROM model_versions WHERE name = ? ORDER BY version", arguments: [name])
        }
        return try bodies.map { try HistoryCoding.decode(ModelVersion.self, from: $0) }
    }

    public func modelNames() async throws -> [String] {
        try await read { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT name FROM model_versions ORDER BY name")
        }
    }

    public func appendAliasMove(_ move: AliasMove) async throws -> AliasMove {
        try await write { db in
            var stored = move
            stored.move = (try Int.fetchOne(db, sql: "SELECT coalesce(max(move), 0) + 1 FROM model_alias_moves WHERE name = ? AND alias = ?",
                                            arguments: [move.name, move.alias])) ?? 1
            try db.execute(sql: "INSERT INTO model_alias_moves (name, alias, move, version, created_at, body) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [stored.name, stored.alias, stored.move, stored.version, stored.createdAt.timeIntervalSince1970,
                                       try HistoryCoding.encode(stored)])
            return stored
        }
    }

    public func aliasMoves(of name: String) async throws -> [AliasMove] {
        let bodies = try await read { db in
            try String.fetchAll(db, sql: "SELECT body FROM model_alias_moves WHERE name = ? ORDER BY created_at, alias, move", arguments: [name])
        }
        return try bodies.map { try HistoryCoding.decode(AliasMove.self, from: $0) }
    }
}
