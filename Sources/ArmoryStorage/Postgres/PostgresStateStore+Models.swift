import ArmoryCore
import Foundation
import PostgresNIO

extension PostgresStateStore {
    public func appendModelVersion(_ version: ModelVersion) async throws -> ModelVersion {
        let body = try HistoryCoding.encode(version)
        return try await mapErrors {
            var stored = version
            stored.version = try await appendNumbered("""
                WITH next AS (SELECT coalesce(max(version), 0) + 1 AS version FROM model_versions WHERE name = \(version.name))
                INSERT INTO model_versions (name, version, created_at, body)
                SELECT \(version.name), next.version, \(version.createdAt), jsonb_set(\(body)::jsonb, '{version}', to_jsonb(next.version))
                FROM next
                RETURNING version
                """)
            return stored
        }
    }

    public func modelVersions(of name: String) async throws -> [ModelVersion] {
        try await mapErrors {
            let rows = try await client.query("SELECT body::text FROM model_versions WHERE name = \(name) ORDER BY version", logger: logger)
            var versions: [ModelVersion] = []
            for try await body in rows.decode(String.self) {
                versions.append(try HistoryCoding.decode(ModelVersion.self, from: body))
            }
            return versions
        }
    }

    public func modelNames() async throws -> [String] {
        try await mapErrors {
            let rows = try await client.query("SELECT DISTINCT name FROM model_versions ORDER BY name", logger: logger)
            var names: [String] = []
            for try await name in rows.decode(String.self) { names.append(name) }
            return names
        }
    }

    public func appendAliasMove(_ move: AliasMove) async throws -> AliasMove {
        let body = try HistoryCoding.encode(move)
        return try await mapErrors {
            var stored = move
            stored.move = try await appendNumbered("""
                WITH next AS (SELECT coalesce(max(move), 0) + 1 AS move FROM model_alias_moves WHERE name = \(move.name) AND alias = \(move.alias))
                INSERT INTO model_alias_moves (name, alias, move, version, created_at, body)
                SELECT \(move.name), \(move.alias), next.move, \(move.version), \(move.createdAt),
                       jsonb_set(\(body)::jsonb, '{move}', to_jsonb(next.move))
                FROM next
                RETURNING move
                """)
            return stored
        }
    }

    public func aliasMoves(of name: String) async throws -> [AliasMove] {
        try await mapErrors {
            let rows = try await client.query(
                "SELECT body::text FROM model_alias_moves WHERE name = \(name) ORDER BY created_at, alias, move", logger: logger)
            var moves: [AliasMove] = []
            for try await body in rows.decode(String.self) {
                moves.append(try HistoryCoding.decode(AliasMove.self, from: body))
            }
            return moves
        }
    }
}
