import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// What a HEAD request says of an object.
public struct S3ObjectHead: Sendable, Hashable {
    /// Its size in bytes.
    public var size: Int
    /// Its entity tag, as the server wrote it (quotes included).
    public var etag: String?
}

/// One object in a listing.
public struct S3ObjectSummary: Sendable, Hashable {
    /// Its key.
    public var key: String
    /// Its size in bytes.
    public var size: Int
}

/// One page of a ListObjectsV2 answer.
public struct S3ListPage: Sendable, Hashable {
    /// The objects, in key order.
    public var objects: [S3ObjectSummary]
    /// Where the next page starts; `nil` on the last page.
    public var nextContinuationToken: String?
}

extension S3Client {
    /// Stores `body` under `key`: in one request up to the configuration's multipart threshold,
    /// as a multipart upload above it. `payloadHash`, the body's SHA-256 in hex, saves hashing
    /// it again when the caller has it.
    public func putObject(bucket: String, key: String, body: Data, payloadHash: String? = nil) async throws {
        if body.count > configuration.multipartThreshold {
            try await putMultipart(bucket: bucket, key: key, body: body)
            return
        }
        let response = try await send(Operation(method: .PUT, bucket: bucket, key: key, body: body, payloadHash: payloadHash))
        _ = try await collect(response, bucket: bucket)
    }

    /// The bytes of `key`, or of `range` of them (offsets of the first and last byte).
    public func getObject(bucket: String, key: String, range: ClosedRange<Int>? = nil) async throws -> Data {
        let headers = range.map { [("range", "bytes=\($0.lowerBound)-\($0.upperBound)")] } ?? []
        let response = try await send(Operation(method: .GET, bucket: bucket, key: key, headers: headers))
        return try await collect(response, bucket: bucket)
    }

    /// The size and entity tag of `key`, or `nil` when there is no such object; throws
    /// `not_found` when the bucket itself is missing.
    public func headObject(bucket: String, key: String) async throws -> S3ObjectHead? {
        do {
            let response = try await send(Operation(method: .HEAD, bucket: bucket, key: key))
            let size = response.headers.first(name: "content-length").flatMap(Int.init) ?? 0
            return S3ObjectHead(size: size, etag: response.headers.first(name: "etag"))
        } catch let error as StorageError where error.code == .notFound {
            // A HEAD answer has no body to tell a missing object from a missing bucket: ask.
            try await headBucket(bucket)
            return nil
        }
    }

    /// Succeeds when `bucket` exists and the credentials may use it.
    public func headBucket(_ bucket: String) async throws {
        _ = try await send(Operation(method: .HEAD, bucket: bucket, key: nil))
    }

    /// Removes `key`; removing a key that is not there succeeds, as in S3.
    public func deleteObject(bucket: String, key: String) async throws {
        let response = try await send(Operation(method: .DELETE, bucket: bucket, key: key))
        _ = try await collect(response, bucket: bucket)
    }

    /// One page of the keys that begin with `prefix` (ListObjectsV2), at most `maxKeys`,
    /// starting where `continuationToken` says.
    public func listObjects(
        bucket: String, prefix: String = "", continuationToken: String? = nil, maxKeys: Int = 1_000
    ) async throws -> S3ListPage {
        var query: [(name: String, value: String)] = [("list-type", "2"), ("max-keys", String(maxKeys))]
        if !prefix.isEmpty { query.append(("prefix", prefix)) }
        if let continuationToken { query.append(("continuation-token", continuationToken)) }
        let response = try await send(Operation(method: .GET, bucket: bucket, key: nil, query: query))
        let xml = String(decoding: try await collect(response, bucket: bucket), as: UTF8.self)[...]
        let objects = S3XML.elements(named: "Contents", in: xml).compactMap { contents -> S3ObjectSummary? in
            guard let key = S3XML.value(of: "Key", in: contents) else { return nil }
            return S3ObjectSummary(key: key, size: S3XML.value(of: "Size", in: contents).flatMap(Int.init) ?? 0)
        }
        let isTruncated = S3XML.value(of: "IsTruncated", in: xml) == "true"
        let token = S3XML.value(of: "NextContinuationToken", in: xml).flatMap { $0.isEmpty ? nil : $0 }
        return S3ListPage(objects: objects, nextContinuationToken: isTruncated ? token : nil)
    }

    /// Every key that begins with `prefix`, a page of `pageSize` at a time.
    public func listAllObjects(bucket: String, prefix: String = "", pageSize: Int = 1_000) async throws -> [S3ObjectSummary] {
        var objects: [S3ObjectSummary] = []
        var token: String?
        repeat {
            let page = try await listObjects(bucket: bucket, prefix: prefix, continuationToken: token, maxKeys: pageSize)
            objects += page.objects
            token = page.nextContinuationToken
        } while token != nil
        return objects
    }
}
