import ArmoryCore
import ArmoryKit
import ArmoryStorage
import Foundation
import Testing

/// The model registry's records on both state stores: versions numbered per model from 1,
/// alias moves numbered per alias and read back in order, and both tables append-only.
@Suite("The model registry on SQLite and PostgreSQL", .serialized)
struct ModelRegistryStoreTests {
    static func version(_ name: String, note: String) -> ModelVersion {
        ModelVersion(
            name: name, artifactDigest: String(repeating: "ab", count: 32), artifactBytes: 10, trainer: "als", trainerVersion: "1.0.0",
            algorithm: "matrix-factorization", parameters: ["factors": .integer(8), "alpha": .number(2.5)],
            training: TrainingWindow(store: "test", from: Date(timeIntervalSince1970: 1_000), to: Date(timeIntervalSince1970: 2_000),
                                     users: 3, movies: 4, views: 5, likes: 6),
            evaluation: nil, actor: "tester", note: note, createdAt: Date(timeIntervalSince1970: 3_000))
    }

    @Test("versions and alias moves are numbered, read back whole, and never changed", arguments: StoreKind.allCases)
    func registry(kind: StoreKind) async throws {
        try await TestStores.withFreshStore(kind) { store, location in
            let first = try await store.appendModelVersion(Self.version("movies-mf", note: "one"))
            let second = try await store.appendModelVersion(Self.version("movies-mf", note: "two"))
            let other = try await store.appendModelVersion(Self.version("other", note: "x"))
            let numbers: [Int] = [first.version, second.version, other.version]
            #expect(numbers == [1, 2, 1])
            let read = try await store.modelVersions(of: "movies-mf")
            #expect(read == [first, second])
            #expect(try await store.modelNames() == ["movies-mf", "other"])
            #expect(try await store.modelVersions(of: "none").isEmpty)

            let moves = [(alias: "champion", version: 1), (alias: "challenger", version: 2), (alias: "champion", version: 2), (alias: "champion", version: 1)]
            var stored: [AliasMove] = []
            for (index, move) in moves.enumerated() {
                stored.append(try await store.appendAliasMove(AliasMove(
                    name: "movies-mf", alias: move.alias, version: move.version, previousVersion: nil, actor: "tester", reason: "r\(index)",
                    createdAt: Date(timeIntervalSince1970: 4_000 + Double(index)))))
            }
            let moveNumbers: [Int] = stored.map(\.move)
            #expect(moveNumbers == [1, 1, 2, 3])
            #expect(try await store.aliasMoves(of: "movies-mf") == stored)

            for table in ["model_versions", "model_alias_moves"] {
                var statements = ["UPDATE \(table) SET name = 'x'", "DELETE FROM \(table)"]
                if kind == .sqlite { statements.append("REPLACE INTO \(table) SELECT * FROM \(table)") }
                for sql in statements {
                    await #expect(throws: (any Error).self, "\(sql)") {
                        try await TestStores.executeRaw(sql, kind: kind, location: location)
                    }
                }
            }
            #expect(try await store.aliasMoves(of: "movies-mf") == stored)
            #expect(try await store.modelVersions(of: "movies-mf").count == 2)
        }
    }

    @Test("the folder artifact store checks every read against the digest")
    func folderArtifacts() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("armory-artifacts-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = FolderArtifactStore(folder: folder)
        let bytes = Data("a model".utf8)
        let digest = try await store.put(bytes)
        #expect(digest == ArtifactDigest(of: bytes))
        #expect(try await store.get(digest) == bytes)
        #expect(try await store.put(bytes) == digest)
        try Data("tampered".utf8).write(to: folder.appendingPathComponent(digest.key))
        await #expect { try await store.get(digest) } throws: { ($0 as? StorageError)?.code == .corrupted }
        let missing = ArtifactDigest(of: Data("never stored".utf8))
        await #expect { try await store.get(missing) } throws: { ($0 as? StorageError)?.code == .notFound }
    }
}
