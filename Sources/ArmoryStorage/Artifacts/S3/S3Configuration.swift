import Foundation

/// Where an S3-compatible server is and how to talk to it: one value so that a store, a test
/// and a benchmark make the same client. Its description never shows the secret key.
public struct S3Configuration: Sendable, CustomStringConvertible {
    /// Scheme, host and port, e.g. `http://127.0.0.1:9000`; buckets are addressed by path
    /// (`<endpoint>/<bucket>/<key>`), which MinIO, rclone and AWS all accept.
    public var endpoint: String
    /// The region signatures are scoped to; servers other than AWS mostly accept any.
    public var region: String
    /// The access key id (public: it names the key in every request).
    public var accessKeyID: String
    /// The secret key: it signs, and is never sent or shown.
    public var secretAccessKey: String
    /// How long to wait for a connection before calling the server unreachable.
    public var connectTimeout: Duration
    /// How long a connection may stay silent mid-request before the request fails.
    public var readTimeout: Duration
    /// Bodies larger than this are sent as a multipart upload rather than one request.
    public var multipartThreshold: Int
    /// The size of each part but the last; S3 refuses parts under 5 MiB.
    public var partSize: Int
    /// How many parts are sent at once.
    public var partConcurrency: Int

    /// The smallest part S3 accepts (but for the last).
    public static let minimumPartSize = 5 * 1_024 * 1_024

    /// A configuration for `endpoint` with `us-east-1` and the default limits.
    public init(
        endpoint: String, region: String = "us-east-1", accessKeyID: String, secretAccessKey: String,
        connectTimeout: Duration = .seconds(5), readTimeout: Duration = .seconds(60),
        multipartThreshold: Int = 64 * 1_024 * 1_024, partSize: Int = 16 * 1_024 * 1_024, partConcurrency: Int = 4
    ) {
        self.endpoint = endpoint
        self.region = region
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.multipartThreshold = multipartThreshold
        self.partSize = partSize
        self.partConcurrency = partConcurrency
    }

    public var description: String {
        "S3Configuration(endpoint: \(endpoint), region: \(region), accessKeyID: \(accessKeyID), secretAccessKey: <redacted>)"
    }
}
