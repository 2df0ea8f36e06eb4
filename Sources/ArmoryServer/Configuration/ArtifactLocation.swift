import ArmoryStorage
import Foundation

/// Where trained models' artifacts live: a folder (the default, `<data>/artifacts`) or an
/// S3-compatible bucket (`ARMORY_ARTIFACTS_URL=s3://bucket/prefix`, endpoint and credentials
/// from the AWS environment variables), read through a local cache folder.
public enum ArtifactLocation: Sendable, Hashable {
    case folder(path: String)
    case s3(url: String)

    /// The location `text` names: an `s3://` URL, or a folder path. Throws a
    /// ``ConfigurationError`` for an empty text or a URL of another scheme, which would
    /// otherwise be taken for a folder named like it.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw ConfigurationError("the artifacts location is empty: give s3://bucket/prefix or a folder") }
        if trimmed.lowercased().hasPrefix("s3://") {
            self = .s3(url: "s3://" + trimmed.dropFirst(5))
        } else if let scheme = trimmed.range(of: "://").map({ trimmed[..<$0.lowerBound] }), !scheme.contains("/") {
            throw ConfigurationError("the artifacts location \(trimmed) is not supported: use s3://bucket/prefix or a folder path")
        } else {
            self = .folder(path: trimmed)
        }
    }

    /// The opened store, read through `cacheFolder` when remote, and what closes it.
    public func open(
        cacheFolder: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> (artifacts: ArtifactCache, close: @Sendable () async -> Void) {
        switch self {
        case .folder(let path):
            return (ArtifactCache(store: FolderArtifactStore(folder: URL(fileURLWithPath: path)), local: nil), {})
        case .s3(let url):
            let store = try S3ArtifactStore.fromEnvironment(url: url, environment: environment)
            let cache = ArtifactCache(store: store, local: FolderArtifactStore(folder: URL(fileURLWithPath: cacheFolder)))
            return (cache, { try? await store.shutdown() })
        }
    }
}

extension ServerConfiguration {
    /// The artifact store in use.
    public var artifactLocation: ArtifactLocation {
        artifacts ?? .folder(path: (dataDirectory as NSString).appendingPathComponent("artifacts"))
    }

    /// The local copies of a remote artifact store's artifacts.
    public var artifactCacheFolder: String {
        (dataDirectory as NSString).appendingPathComponent("artifact-cache")
    }
}
