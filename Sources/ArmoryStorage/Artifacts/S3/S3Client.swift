import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A small client for S3-compatible servers (AWS, MinIO, `rclone serve s3`): objects put,
/// read, listed and deleted, every request signed with Signature Version 4 and addressed by
/// path. It owns its HTTP client, so ``shutdown()`` must be called once it is no longer used.
/// Every failure is a ``StorageError`` of one line naming the endpoint and bucket, never the
/// secret key.
public struct S3Client: Sendable {
    /// How the client was made (its description hides the secret).
    public let configuration: S3Configuration
    let signer: SignatureV4
    let http: HTTPClient
    /// `scheme://host:port`, what every request's URL begins with.
    let baseURL: String
    /// The `Host` header, signed, so set rather than left to the HTTP client.
    let hostHeader: String

    /// The longest a request may take, body included: a stalled transfer is caught sooner by
    /// the read timeout, so this only bounds a transfer that keeps crawling.
    static let requestDeadline = TimeAmount.hours(1)

    /// A client for `configuration.endpoint`; throws ``StorageError`` coded `invalid_location`
    /// when the endpoint is not an `http(s)://host[:port]` URL or the part size is under S3's minimum.
    public init(_ configuration: S3Configuration) throws {
        guard let url = URLComponents(string: configuration.endpoint), let scheme = url.scheme?.lowercased(),
              ["http", "https"].contains(scheme), let host = url.host, !host.isEmpty, url.user == nil,
              url.path.isEmpty || url.path == "/", url.query == nil
        else {
            throw StorageError(.invalidLocation, "not an S3 endpoint: expected http(s)://host:port, without a path or user")
        }
        guard configuration.partSize >= S3Configuration.minimumPartSize, configuration.partConcurrency >= 1 else {
            throw StorageError(.invalidLocation, "S3 parts must be at least 5 MiB, sent at least one at a time")
        }
        let bracketed = host.contains(":") ? "[\(host)]" : host
        let isDefaultPort = url.port == nil || (scheme == "http" && url.port == 80) || (scheme == "https" && url.port == 443)
        hostHeader = isDefaultPort ? bracketed : "\(bracketed):\(url.port!)"
        baseURL = "\(scheme)://\(hostHeader)"
        self.configuration = configuration
        signer = SignatureV4(accessKeyID: configuration.accessKeyID, secretAccessKey: configuration.secretAccessKey,
                             region: configuration.region)
        var settings = HTTPClient.Configuration()
        settings.timeout.connect = TimeAmount(configuration.connectTimeout)
        settings.timeout.read = TimeAmount(configuration.readTimeout)
        // A refused connection is an answer: report it now rather than retrying until the deadline.
        settings.connectionPool.retryConnectionEstablishment = false
        settings.decompression = .disabled
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: settings)
    }

    /// Closes the HTTP client's connections; the client takes no requests after.
    public func shutdown() async throws {
        try await http.shutdown()
    }

    /// For messages: `S3 at http://host:port`.
    public var endpointDescription: String { "S3 at \(baseURL)" }

    /// One request: what it is sent to and with, before signing.
    struct Operation {
        var method: HTTPMethod
        var bucket: String
        var key: String?
        var query: [(name: String, value: String)] = []
        var headers: [(name: String, value: String)] = []
        var body: Data?
        /// The body's SHA-256 when the caller knows it already; computed otherwise.
        var payloadHash: String?
    }

    /// Signs and sends `operation`; returns the response when its status is 2xx, whose body the
    /// caller must read, and throws the mapped ``StorageError`` otherwise.
    func send(_ operation: Operation) async throws -> HTTPClientResponse {
        let path = "/\(operation.bucket)" + (operation.key.map { "/\($0)" } ?? "")
        let date = Date()
        let payloadHash = operation.payloadHash ?? operation.body.map { SignatureV4.hexHash($0) } ?? SignatureV4.emptyPayloadHash
        let headers = operation.headers + [
            ("host", hostHeader), ("x-amz-date", SignatureV4.timestamp(date)), ("x-amz-content-sha256", payloadHash),
        ]
        let signed = SignatureV4.Request(method: operation.method.rawValue, path: path, query: operation.query,
                                         headers: headers, payloadHash: payloadHash)
        let query = SignatureV4.canonicalQuery(operation.query)
        var request = HTTPClientRequest(url: baseURL + SignatureV4.encode(path, keepingSlashes: true) + (query.isEmpty ? "" : "?\(query)"))
        request.method = operation.method
        for header in headers { request.headers.add(name: header.name, value: header.value) }
        request.headers.add(name: "Authorization", value: signer.authorization(signed, date: date))
        if let body = operation.body { request.body = .bytes(body, length: .known(Int64(body.count))) }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, deadline: .now() + Self.requestDeadline)
        } catch {
            throw unreachable(error, bucket: operation.bucket)
        }
        guard (200..<300).contains(response.status.code) else {
            let body = (try? await response.body.collect(upTo: 1_024 * 1_024)).map { String(buffer: $0) } ?? ""
            throw failure(status: response.status.code, body: body, bucket: operation.bucket, key: operation.key)
        }
        return response
    }

    /// The whole body of `response`, read into one buffer sized by its `Content-Length`.
    func collect(_ response: HTTPClientResponse, bucket: String) async throws -> Data {
        var data = Data()
        if let length = response.headers.first(name: "content-length").flatMap(Int.init) { data.reserveCapacity(length) }
        do {
            for try await chunk in response.body {
                chunk.withUnsafeReadableBytes { data.append($0.assumingMemoryBound(to: UInt8.self)) }
            }
        } catch {
            throw unreachable(error, bucket: bucket)
        }
        return data
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
