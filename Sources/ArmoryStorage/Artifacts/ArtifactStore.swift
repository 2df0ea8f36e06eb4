import Crypto
import Foundation

/// The SHA-256 of an artifact's bytes, in lower-case hex: its name in every artifact store, so
/// an artifact is immutable and a read is checked against the name it was asked for.
public struct ArtifactDigest: Sendable, Hashable, Codable, CustomStringConvertible {
    /// 64 lower-case hex digits.
    public let hex: String

    /// The digest written as `hex`, if it is 64 hex digits (either case).
    public init?(hex: String) {
        let lower = hex.lowercased()
        guard lower.utf8.count == 64, lower.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else { return nil }
        self.hex = lower
    }

    /// The digest of `bytes`.
    public init(of bytes: some DataProtocol) {
        hex = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// The key an artifact has under a store's root: `sha256/<hex>`.
    public var key: String { "sha256/\(hex)" }

    public var description: String { "sha256:\(hex)" }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let digest = ArtifactDigest(hex: text.hasPrefix("sha256:") ? String(text.dropFirst(7)) : text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a SHA-256 digest: \(text)"))
        }
        self = digest
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Where trained models' artifacts live: immutable, content-addressed byte strings. A folder
/// (``FolderArtifactStore``) by default, an S3-compatible bucket (``S3ArtifactStore``) in
/// production. Every error is a ``StorageError`` whose message names the store and never a secret.
public protocol ArtifactStore: Sendable {
    /// Where the artifacts are, for messages (`./.armory/artifacts`, `s3://bucket/prefix`).
    var location: String { get }

    /// Stores `bytes` under their digest and returns it. Storing bytes that are already there
    /// changes nothing.
    func put(_ bytes: Data) async throws -> ArtifactDigest

    /// The bytes of `digest`, checked against it: throws ``StorageError`` coded `not_found` when
    /// there are none and `corrupted` when what was read does not match.
    func get(_ digest: ArtifactDigest) async throws -> Data

    /// Whether the store holds `digest`.
    func contains(_ digest: ArtifactDigest) async throws -> Bool
}

extension ArtifactStore {
    /// `bytes` when they match `digest`; otherwise the `corrupted` error every store throws.
    func checked(_ bytes: Data, as digest: ArtifactDigest) throws -> Data {
        let actual = ArtifactDigest(of: bytes)
        guard actual == digest else {
            throw StorageError(.corrupted, "artifact \(digest) in \(location) is corrupted: its bytes hash to \(actual)")
        }
        return bytes
    }
}
