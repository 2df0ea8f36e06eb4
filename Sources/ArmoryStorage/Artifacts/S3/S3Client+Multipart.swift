import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

extension S3Client {
    /// Sends `body` as a multipart upload of ``S3Configuration/partSize`` parts, a few at a
    /// time; on any failure the upload is aborted, so the server keeps no orphaned parts.
    func putMultipart(bucket: String, key: String, body: Data) async throws {
        let uploadID = try await createMultipartUpload(bucket: bucket, key: key)
        do {
            let etags = try await uploadParts(bucket: bucket, key: key, uploadID: uploadID, body: body)
            try await completeMultipartUpload(bucket: bucket, key: key, uploadID: uploadID, etags: etags)
        } catch {
            try? await abortMultipartUpload(bucket: bucket, key: key, uploadID: uploadID)
            throw error
        }
    }

    private func createMultipartUpload(bucket: String, key: String) async throws -> String {
        let response = try await send(Operation(method: .POST, bucket: bucket, key: key, query: [("uploads", "")]))
        let xml = String(decoding: try await collect(response, bucket: bucket), as: UTF8.self)
        guard let uploadID = S3XML.value(of: "UploadId", in: xml[...]), !uploadID.isEmpty else {
            throw StorageError(.protocolViolation, "\(endpointDescription), bucket \(bucket): CreateMultipartUpload gave no UploadId")
        }
        return uploadID
    }

    /// Sends every part, at most ``S3Configuration/partConcurrency`` at once; their entity
    /// tags in part order.
    private func uploadParts(bucket: String, key: String, uploadID: String, body: Data) async throws -> [String] {
        let size = configuration.partSize
        let starts = Array(stride(from: body.startIndex, to: body.endIndex, by: size))
        return try await withThrowingTaskGroup(of: (Int, String).self) { group in
            var etags = [String](repeating: "", count: starts.count)
            for (index, start) in starts.enumerated() {
                if index >= configuration.partConcurrency, let (done, etag) = try await group.next() { etags[done] = etag }
                let part = body[start..<min(start + size, body.endIndex)]
                group.addTask {
                    (index, try await uploadPart(bucket: bucket, key: key, uploadID: uploadID, number: index + 1, part: part))
                }
            }
            for try await (done, etag) in group { etags[done] = etag }
            return etags
        }
    }

    private func uploadPart(bucket: String, key: String, uploadID: String, number: Int, part: Data) async throws -> String {
        let query: [(name: String, value: String)] = [("partNumber", String(number)), ("uploadId", uploadID)]
        let response = try await send(Operation(method: .PUT, bucket: bucket, key: key, query: query, body: part))
        _ = try await collect(response, bucket: bucket)
        guard let etag = response.headers.first(name: "etag") else {
            throw StorageError(.protocolViolation, "\(endpointDescription), bucket \(bucket): UploadPart \(number) gave no ETag")
        }
        return etag
    }

    private func completeMultipartUpload(bucket: String, key: String, uploadID: String, etags: [String]) async throws {
        let parts = etags.enumerated().map { index, etag in
            "<Part><PartNumber>\(index + 1)</PartNumber><ETag>\(S3XML.escape(etag))</ETag></Part>"
        }
        let document = Data("<CompleteMultipartUpload>\(parts.joined())</CompleteMultipartUpload>".utf8)
        let response = try await send(Operation(method: .POST, bucket: bucket, key: key, query: [("uploadId", uploadID)],
                                                headers: [("content-type", "application/xml")], body: document))
        // S3 may answer 200 and still fail, with an <Error> document in place of the result.
        let xml = String(decoding: try await collect(response, bucket: bucket), as: UTF8.self)
        if xml.contains("<Error>") {
            throw failure(status: response.status.code, body: xml, bucket: bucket, key: key)
        }
    }

    private func abortMultipartUpload(bucket: String, key: String, uploadID: String) async throws {
        let response = try await send(Operation(method: .DELETE, bucket: bucket, key: key, query: [("uploadId", uploadID)]))
        _ = try await collect(response, bucket: bucket)
    }
}
