import Foundation

extension S3Client {
    /// How a message says the bucket is missing (rather than an object in it).
    static let missingBucket = "the bucket does not exist"

    /// The error for an answer that is not 2xx, from its status and S3's `<Error>` document.
    func failure(status: UInt, body: String, bucket: String, key: String?) -> StorageError {
        let code = S3XML.value(of: "Code", in: body[...]) ?? ""
        let message = S3XML.value(of: "Message", in: body[...])
        let detail = [code.isEmpty ? "HTTP \(status)" : "\(code) (HTTP \(status))", message].compactMap { $0 }.joined(separator: ": ")
        let place = "\(endpointDescription), bucket \(bucket)"
        switch code {
        case "NoSuchBucket":
            return error(.notFound, "\(place): \(Self.missingBucket)")
        case "NoSuchKey":
            return error(.notFound, "\(place): no object \(key ?? "")")
        case "SignatureDoesNotMatch", "InvalidAccessKeyId", "AccessDenied", "InvalidToken", "ExpiredToken":
            return error(.authenticationFailed, "\(place): access key \(configuration.accessKeyID) refused: \(detail)")
        case "" where status == 404:
            // A HEAD answer has no body to say which is missing.
            return key.map { error(.notFound, "\(place): no object \($0)") }
                ?? error(.notFound, "\(place): \(Self.missingBucket)")
        case "" where status == 401 || status == 403:
            return error(.authenticationFailed, "\(place): access key \(configuration.accessKeyID) refused: \(detail)")
        default:
            return error(.failed, "\(place): \(detail)")
        }
    }

    /// The error for a request that got no answer: refused, timed out or cut off.
    func unreachable(_ underlying: any Error, bucket: String) -> StorageError {
        if let error = underlying as? StorageError { return error }
        return error(.unreachable, "cannot reach \(endpointDescription) (bucket \(bucket)): \(Self.describe(underlying))")
    }

    /// One line, with the secret key blanked should a server or library ever echo it.
    private func error(_ code: StorageError.Code, _ message: String) -> StorageError {
        var line = message.split(whereSeparator: \.isNewline).joined(separator: " ")
        let secret = configuration.secretAccessKey
        if !secret.isEmpty { line = line.replacingOccurrences(of: secret, with: "<secret>") }
        return StorageError(code, line)
    }

    private static func describe(_ error: any Error) -> String {
        let text = "\(error)"
        if text.contains("connectTimeout") { return "timed out connecting" }
        if text.contains("readTimeout") { return "timed out waiting for an answer" }
        if text.contains("deadlineExceeded") { return "timed out" }
        if text.contains("refused") || text.contains("connectionRefused") { return "connection refused" }
        if text.contains("remoteConnectionClosed") || text.contains("ioOnClosedChannel") { return "the server closed the connection" }
        return text
    }
}
