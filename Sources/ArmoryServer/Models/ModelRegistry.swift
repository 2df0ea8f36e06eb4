import ArmoryCore
import ArmoryKit
import ArmoryStorage
import Foundation

/// Trained models: their versions and aliases in the state store, their artifacts in the
/// artifact store (read through a local cache). The one owner of registering a version, moving
/// an alias (with its audit entry) and turning an arm's model reference into a model to serve.
public struct ModelRegistry: Sendable {
    /// One model as `armory models list` shows it.
    public struct Summary: Sendable, Hashable, Codable {
        public var name: String
        public var versions: Int
        public var latestVersion: Int
        /// Each alias and the version it points at.
        public var aliases: [String: Int]
        public var latestCreatedAt: Date
    }

    let store: any StateStore
    let artifacts: ArtifactCache

    /// A registry over `store` and `artifacts`.
    public init(store: any StateStore, artifacts: ArtifactCache) {
        self.store = store
        self.artifacts = artifacts
    }

    /// Every model, by name.
    public func models() async throws -> [Summary] {
        var summaries: [Summary] = []
        for name in try await store.modelNames() {
            let versions = try await store.modelVersions(of: name)
            guard let latest = versions.last else { continue }
            summaries.append(Summary(name: name, versions: versions.count, latestVersion: latest.version,
                                     aliases: Self.aliases(try await store.aliasMoves(of: name)), latestCreatedAt: latest.createdAt))
        }
        return summaries
    }

    /// The versions of `name`, oldest first; throws `unknown_model` when it has none.
    public func versions(of name: String) async throws -> [ModelVersion] {
        let versions = try await store.modelVersions(of: name)
        guard !versions.isEmpty else { throw Self.unknown(name) }
        return versions
    }

    /// Every move of `name`'s aliases, oldest first, and where each alias points now.
    public func aliases(of name: String) async throws -> (moves: [AliasMove], current: [String: Int]) {
        let moves = try await store.aliasMoves(of: name)
        return (moves, Self.aliases(moves))
    }

    /// The version `reference` names now; throws `unknown_model` naming what is missing.
    public func resolve(_ reference: ModelReference) async throws -> ModelVersion {
        let versions = try await versions(of: reference.name)
        switch reference.selector {
        case .version(let number):
            guard let version = versions.first(where: { $0.version == number }) else {
                throw ArmoryError(.notFound, .unknownModel, "model '\(reference.name)' has no version \(number); its versions are 1 to \(versions.count)")
            }
            return version
        case .alias(let alias):
            let current = Self.aliases(try await store.aliasMoves(of: reference.name))
            guard let number = current[alias], let version = versions.first(where: { $0.version == number }) else {
                let known = current.keys.sorted().joined(separator: ", ")
                throw ArmoryError(.notFound, .unknownModel, "model '\(reference.name)' has no alias '\(alias)'"
                    + (known.isEmpty ? "; it has no aliases yet (armory models alias)" : "; its aliases are \(known)"))
            }
            return version
        }
    }

    /// The version number `reference` names now, without reading the versions themselves
    /// (`nil` for an alias that points nowhere): what a server polls to learn that an alias moved.
    public func currentVersion(of reference: ModelReference) async throws -> Int? {
        switch reference.selector {
        case .version(let number): number
        case .alias(let alias): Self.aliases(try await store.aliasMoves(of: reference.name))[alias]
        }
    }

    /// The model `version` ready to hand to its algorithm: its artifact fetched (from the cache
    /// when there) and checked.
    public func load(_ version: ModelVersion) async throws -> TrainedModel {
        guard let digest = ArtifactDigest(hex: version.artifactDigest) else {
            throw ArmoryError(.unavailable, .modelUnavailable, "model \(version.reference) records no valid artifact digest")
        }
        return TrainedModel(name: version.name, version: version.version, artifact: try await artifacts.get(digest))
    }

    /// Stores `artifact` and records `version` (with the artifact's digest and size) as the
    /// model's next version.
    public func register(_ version: ModelVersion, artifact: Data) async throws -> ModelVersion {
        let digest = try await artifacts.put(artifact)
        var version = version
        version.artifactDigest = digest.hex
        version.artifactBytes = artifact.count
        return try await store.appendModelVersion(version)
    }

    /// Points `alias` of `name` at `version`, recording the move and an audit entry (one for the
    /// whole server, and one for each of `experiments`, those whose arms follow the alias);
    /// moving it back undoes it. Throws `unknown_model` for a version that does not exist.
    public func moveAlias(
        _ alias: String, of name: String, to version: Int, actor: String, reason: String, experiments: [String] = []
    ) async throws -> AliasMove {
        try Self.checkAlias(alias)
        let versions = try await versions(of: name)
        guard versions.contains(where: { $0.version == version }) else {
            throw ArmoryError(.notFound, .unknownModel, "model '\(name)' has no version \(version); its versions are 1 to \(versions.count)")
        }
        let previous = Self.aliases(try await store.aliasMoves(of: name))[alias]
        let now = Date()
        let move = try await store.appendAliasMove(AliasMove(
            name: name, alias: alias, version: version, previousVersion: previous, actor: actor, reason: reason, createdAt: now))
        let detail = "model=\(name) alias=\(alias) from=\(previous.map(String.init) ?? "none") to=\(version)"
        for experiment in [nil] + experiments.map(Optional.some) {
            _ = try await store.appendAuditEntry(NewAuditEntry(
                experimentID: experiment, actor: actor, action: "model_alias", reason: reason, detail: detail, createdAt: now))
        }
        return move
    }

    /// Throws an invalid ``ArmoryError`` unless `alias` can name an alias (a name that is not
    /// all digits, which would read as a version).
    public static func checkAlias(_ alias: String) throws {
        guard ModelReference.isValidName(alias), alias.contains(where: { !$0.isNumber }) else {
            throw ArmoryError.invalid("alias", "alias '\(alias)' is not valid: use 1 to 64 lower-case letters, digits and '-', starting with a letter or digit, not only digits")
        }
    }

    /// Where each alias points after `moves` (oldest first).
    static func aliases(_ moves: [AliasMove]) -> [String: Int] {
        var current: [String: Int] = [:]
        for move in moves { current[move.alias] = move.version }
        return current
    }

    static func unknown(_ name: String) -> ArmoryError {
        ArmoryError(.notFound, .unknownModel, "no model named '\(name)' is registered; `armory train` makes one, `armory models list` lists them")
    }
}
