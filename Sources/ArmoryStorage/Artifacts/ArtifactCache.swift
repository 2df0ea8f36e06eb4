import Foundation

/// An artifact store read through a local folder: an artifact is fetched from the store once,
/// then read from the folder by its digest (and checked on every read, like any artifact read).
/// With a folder as the store itself there is nothing in front of it.
public struct ArtifactCache: Sendable {
    /// The store artifacts live in.
    public let store: any ArtifactStore
    /// The local copies, when the store is remote.
    public let local: FolderArtifactStore?

    /// Reads `store` through `local` (`nil` when `store` is itself local).
    public init(store: any ArtifactStore, local: FolderArtifactStore?) {
        self.store = store
        self.local = local
    }

    /// Stores `bytes` in the store (and a local copy).
    public func put(_ bytes: Data) async throws -> ArtifactDigest {
        let digest = try await store.put(bytes)
        if let local { _ = try? await local.put(bytes) }
        return digest
    }

    /// The bytes of `digest`: the local copy when it is there and intact, otherwise the
    /// store's (kept locally for next time).
    public func get(_ digest: ArtifactDigest) async throws -> Data {
        guard let local else { return try await store.get(digest) }
        do {
            return try await local.get(digest)
        } catch let error as StorageError where error.code == .corrupted || error.code == .notFound || error.code == .failed {
            local.remove(digest)
        }
        let bytes = try await store.get(digest)
        _ = try? await local.put(bytes)
        return bytes
    }
}
