import Foundation

/// Artifacts in an S3-compatible bucket, under `<prefix>/sha256/<hex>`: where trained models
/// live when several machines share them. Made from `s3://bucket/prefix` and a server's
/// configuration (``fromEnvironment(url:environment:)`` reads the usual `AWS_*` variables).
/// Owns an HTTP client: call ``shutdown()`` when done.
public struct S3ArtifactStore: ArtifactStore {
    /// The bucket.
    public let bucket: String
    /// The folder inside the bucket, without slashes at either end; empty for the bucket's root.
    public let prefix: String
    /// The client every request goes through.
    public let client: S3Client

    /// A store at `url` (`s3://bucket` or `s3://bucket/prefix`) on the server `configuration` names.
    public init(url: String, configuration: S3Configuration) throws {
        (bucket, prefix) = try Self.parse(url)
        client = try S3Client(configuration)
    }

    public var location: String { "s3://\(bucket)" + (prefix.isEmpty ? "" : "/\(prefix)") }

    /// The object key of `digest`: its key under the prefix.
    public func key(of digest: ArtifactDigest) -> String {
        prefix.isEmpty ? digest.key : "\(prefix)/\(digest.key)"
    }

    public func put(_ bytes: Data) async throws -> ArtifactDigest {
        let digest = ArtifactDigest(of: bytes)
        // Content-addressed: an object already under the digest's key holds these bytes.
        if try await contains(digest) { return digest }
        try await client.putObject(bucket: bucket, key: key(of: digest), body: bytes, payloadHash: digest.hex)
        return digest
    }

    public func get(_ digest: ArtifactDigest) async throws -> Data {
        let bytes: Data
        do {
            bytes = try await client.getObject(bucket: bucket, key: key(of: digest))
        } catch let error as StorageError where error.code == .notFound && !error.message.hasSuffix(S3Client.missingBucket) {
            throw StorageError(.notFound, "artifact \(digest) is not in \(location) (\(client.endpointDescription))")
        }
        return try checked(bytes, as: digest)
    }

    public func contains(_ digest: ArtifactDigest) async throws -> Bool {
        try await client.headObject(bucket: bucket, key: key(of: digest)) != nil
    }

    /// Closes the HTTP client's connections; the store takes no requests after.
    public func shutdown() async throws {
        try await client.shutdown()
    }

    /// Bucket and prefix of `s3://bucket[/prefix]`.
    static func parse(_ url: String) throws -> (bucket: String, prefix: String) {
        guard url.lowercased().hasPrefix("s3://") else {
            throw StorageError(.invalidLocation, "not an S3 location: \(url): expected s3://bucket/prefix")
        }
        let path = url.dropFirst(5)
        let bucket = String(path.prefix { $0 != "/" })
        let prefix = path.dropFirst(bucket.count).split(separator: "/").joined(separator: "/")
        guard bucket.count >= 3, bucket.count <= 63,
              bucket.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-" || $0 == ".") })
        else {
            throw StorageError(.invalidLocation, "not an S3 bucket name in \(url): use 3 to 63 lower-case letters, digits, dots or hyphens")
        }
        return (bucket, prefix)
    }
}
