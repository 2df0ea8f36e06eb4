import Foundation

/// Artifacts as files in a folder (`<folder>/sha256/<hex>`): the embedded default, and the
/// local cache in front of a remote store. A file is written beside its final name and renamed,
/// so a reader never sees half an artifact.
public struct FolderArtifactStore: ArtifactStore {
    /// The folder.
    public let folder: URL

    /// A store in `folder`, created on first write.
    public init(folder: URL) {
        self.folder = folder
    }

    public var location: String { folder.path }

    public func put(_ bytes: Data) async throws -> ArtifactDigest {
        let digest = ArtifactDigest(of: bytes)
        let file = url(of: digest)
        if FileManager.default.fileExists(atPath: file.path) { return digest }
        if let blocker = Self.fileInTheWay(of: file.deletingLastPathComponent()) {
            throw StorageError(.invalidLocation, "cannot store artifacts in \(location): \(blocker) is a file, not a folder")
        }
        do {
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            let partial = file.deletingLastPathComponent().appendingPathComponent(".\(digest.hex).\(UUID().uuidString).partial")
            try bytes.write(to: partial)
            if rename(partial.path, file.path) != 0 {
                let reason = String(cString: strerror(errno))
                try? FileManager.default.removeItem(at: partial)
                throw StorageError(.failed, "cannot store artifact \(digest) in \(location): \(reason)")
            }
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError(.failed, "cannot store artifact \(digest) in \(location): \(error.localizedDescription)")
        }
        return digest
    }

    public func get(_ digest: ArtifactDigest) async throws -> Data {
        let file = url(of: digest)
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw StorageError(.notFound, "artifact \(digest) is not in \(location)")
        }
        let bytes: Data
        do {
            bytes = try Data(contentsOf: file, options: .alwaysMapped)
        } catch {
            throw StorageError(.failed, "cannot read artifact \(digest) from \(location): \(error.localizedDescription)")
        }
        return try checked(bytes, as: digest)
    }

    public func contains(_ digest: ArtifactDigest) async throws -> Bool {
        FileManager.default.fileExists(atPath: url(of: digest).path)
    }

    /// Removes `digest`'s file, if any: what a cache does with an artifact that failed its check.
    public func remove(_ digest: ArtifactDigest) {
        try? FileManager.default.removeItem(at: url(of: digest))
    }

    /// The first of `folder` and its parents that exists and is not a folder, if any.
    static func fileInTheWay(of folder: URL) -> String? {
        var candidate = folder.standardizedFileURL
        while candidate.path != "/" {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isFolder) {
                return isFolder.boolValue ? nil : candidate.path
            }
            candidate.deleteLastPathComponent()
        }
        return nil
    }

    private func url(of digest: ArtifactDigest) -> URL {
        folder.appendingPathComponent("sha256").appendingPathComponent(digest.hex)
    }
}
