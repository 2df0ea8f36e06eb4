import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// AWS Signature Version 4, as S3 checks it: pure computation on a request's parts, so that
/// every step can be checked against AWS's published examples without a server.
package struct SignatureV4: Sendable {
    /// The payload hash of a request whose body is not hashed (a stream of unknown bytes).
    package static let unsignedPayload = "UNSIGNED-PAYLOAD"
    /// The payload hash of an empty body.
    package static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// The parts of a request that the signature covers.
    package struct Request: Sendable {
        /// `GET`, `PUT`, …
        package var method: String
        /// The path as the server names it (`/bucket/key`), not yet percent-encoded.
        package var path: String
        /// Query parameters, not yet percent-encoded; a parameter without a value has `""`.
        package var query: [(name: String, value: String)]
        /// Every header to sign, `host` and `x-amz-date` included; names in any case.
        package var headers: [(name: String, value: String)]
        /// The lower-case hex SHA-256 of the body, or ``SignatureV4/unsignedPayload``.
        package var payloadHash: String

        package init(method: String, path: String, query: [(name: String, value: String)] = [],
                     headers: [(name: String, value: String)], payloadHash: String) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
            self.payloadHash = payloadHash
        }
    }

    package let accessKeyID: String
    private let secretAccessKey: String
    package let region: String
    package let service: String

    package init(accessKeyID: String, secretAccessKey: String, region: String, service: String = "s3") {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.region = region
        self.service = service
    }

    /// The canonical request: method, encoded path, sorted query, sorted trimmed headers, the
    /// signed header names and the payload hash, one per line.
    package func canonicalRequest(_ request: Request) -> String {
        let headers = Self.canonicalHeaders(request.headers)
        return [
            request.method,
            Self.encode(request.path, keepingSlashes: true),
            Self.canonicalQuery(request.query),
            headers.map { "\($0.name):\($0.value)\n" }.joined(),
            headers.map(\.name).joined(separator: ";"),
            request.payloadHash,
        ].joined(separator: "\n")
    }

    /// What is signed: the algorithm, the time, the scope and the canonical request's hash.
    package func stringToSign(canonicalRequest: String, date: Date) -> String {
        let timestamp = Self.timestamp(date)
        return ["AWS4-HMAC-SHA256", timestamp, scope(day: String(timestamp.prefix(8))),
                Self.hexHash(Data(canonicalRequest.utf8))].joined(separator: "\n")
    }

    /// The request's signature, 64 lower-case hex digits.
    package func signature(_ request: Request, date: Date) -> String {
        let day = String(Self.timestamp(date).prefix(8))
        let message = stringToSign(canonicalRequest: canonicalRequest(request), date: date)
        return Self.hex(HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: signingKey(day: day)))
    }

    /// The value of the `Authorization` header for `request` sent at `date`.
    package func authorization(_ request: Request, date: Date) -> String {
        let day = String(Self.timestamp(date).prefix(8))
        let signedHeaders = Self.canonicalHeaders(request.headers).map(\.name).joined(separator: ";")
        return "AWS4-HMAC-SHA256 Credential=\(accessKeyID)/\(scope(day: day)),SignedHeaders=\(signedHeaders),"
            + "Signature=\(signature(request, date: date))"
    }

    /// The key derived from the secret for one day, region and service.
    private func signingKey(day: String) -> SymmetricKey {
        var key = SymmetricKey(data: Data("AWS4\(secretAccessKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        return key
    }

    private func scope(day: String) -> String {
        "\(day)/\(region)/\(service)/aws4_request"
    }

    /// Lower-case names, sorted; values trimmed, inner runs of spaces made one.
    static func canonicalHeaders(_ headers: [(name: String, value: String)]) -> [(name: String, value: String)] {
        headers.map { header in
            let words = header.value.split(whereSeparator: { $0 == " " || $0 == "\t" })
            return (header.name.lowercased(), words.joined(separator: " "))
        }.sorted { $0.name < $1.name }
    }

    /// Query parameters encoded and sorted by name, then value, joined with `&`.
    package static func canonicalQuery(_ query: [(name: String, value: String)]) -> String {
        let encoded: [(String, String)] = query.map { (encode($0.name, keepingSlashes: false), encode($0.value, keepingSlashes: false)) }
        let sorted = encoded.sorted { (first: (String, String), second: (String, String)) -> Bool in
            first.0 == second.0 ? first.1 < second.1 : first.0 < second.0
        }
        return sorted.map { (pair: (String, String)) -> String in pair.0 + "=" + pair.1 }.joined(separator: "&")
    }

    /// S3's URI encoding: every byte but `A–Z a–z 0–9 - . _ ~` (and `/` in a path) as `%XX`.
    package static func encode(_ text: String, keepingSlashes: Bool) -> String {
        var encoded = ""
        encoded.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/") where keepingSlashes:
                encoded.append("/")
            default:
                encoded.append("%")
                encoded.unicodeScalars.append(Unicode.Scalar(hexDigits[Int(byte >> 4)]))
                encoded.unicodeScalars.append(Unicode.Scalar(hexDigits[Int(byte & 0x0F)]))
            }
        }
        return encoded
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)
    private static let lowerHexDigits = Array("0123456789abcdef".utf8)

    /// `date` as `x-amz-date` writes it, in UTC: `20130524T000000Z`.
    package static func timestamp(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d%02d%02dT%02d%02d%02dZ", Int(parts.tm_year) + 1_900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }

    /// The lower-case hex SHA-256 of `bytes`: a payload hash.
    package static func hexHash(_ bytes: some DataProtocol) -> String {
        hex(SHA256.hash(data: bytes))
    }

    private static func hex(_ bytes: some Sequence<UInt8>) -> String {
        var digits: [UInt8] = []
        digits.reserveCapacity(64)
        for byte in bytes {
            digits.append(lowerHexDigits[Int(byte >> 4)])
            digits.append(lowerHexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: digits, as: UTF8.self)
    }
}
