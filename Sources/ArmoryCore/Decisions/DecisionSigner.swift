import Crypto
import Foundation

/// Turns decisions into ids that carry them, signed with the server's secret (HMAC-SHA256), so
/// an outcome event names its decision and the server can trust the experiment and arm in it
/// without a lookup; an id the server did not make fails ``decision(from:)``.
public struct DecisionSigner: Sendable {
    /// An HMAC already keyed: each signature copies it, skipping the key set-up.
    private let keyed: HMAC<SHA256>

    /// A signer with `secret` (share it between replicas; at least 16 bytes).
    public init(secret: some DataProtocol) {
        keyed = HMAC<SHA256>(key: SymmetricKey(data: Data(secret)))
    }

    /// The longest id ``decision(from:)`` reads: a list of 100 movies with the longest ids fits.
    public static let maximumIDLength = 4_096

    /// `d3.<payload>.<signature>`, URL-safe: the payload is the decision's fields, one per
    /// line (whether it counts as `1` or `0`, then the served movies comma-separated on the
    /// last), in base64; the signature is the
    /// first 24 bytes of the HMAC of the payload's text, in base64. Written into one string
    /// with no intermediate ones (this runs for every recommendation).
    public func id(for decision: Decision) -> String {
        let items = decision.items ?? []
        var fields: [UInt8] = []
        fields.reserveCapacity(decision.experiment.utf8.count + decision.arm.utf8.count + decision.userID.utf8.count + 96 + 8 * items.count)
        fields.append(contentsOf: decision.experiment.utf8)
        fields.append(0x0A)
        fields.append(contentsOf: decision.arm.utf8)
        fields.append(0x0A)
        fields.appendDecimal(decision.configVersion)
        fields.append(0x0A)
        fields.appendDecimal(decision.weightVersion)
        fields.append(0x0A)
        fields.append(contentsOf: decision.userID.utf8)
        fields.append(0x0A)
        fields.appendDecimal(Int((decision.time.timeIntervalSince1970 * 1_000).rounded()))
        fields.append(0x0A)
        fields.appendDecimal(decision.nonce)
        fields.append(0x0A)
        fields.append(decision.isCounted ? 0x31 : 0x30)
        fields.append(0x0A)
        for (index, item) in items.enumerated() {
            if index > 0 { fields.append(0x2C) }
            fields.appendDecimal(item)
        }
        let payloadLength = (fields.count * 4 + 2) / 3
        let length = 3 + payloadLength + 1 + 32
        return String(unsafeUninitializedCapacity: length) { output in
            output[0] = UInt8(ascii: "d")
            output[1] = UInt8(ascii: "3")
            output[2] = UInt8(ascii: ".")
            let payload = UnsafeMutableBufferPointer(rebasing: output[3..<(3 + payloadLength)])
            fields.withUnsafeBytes { _ = Self.encodeBase64URL($0, into: payload) }
            output[3 + payloadLength] = UInt8(ascii: ".")
            sign(UnsafeRawBufferPointer(payload), into: UnsafeMutableBufferPointer(rebasing: output[(4 + payloadLength)..<length]))
            return length
        }
    }

    /// The decision inside `id` (`d3.`; `d2.` without whether it counts, read as counted; `d1.`
    /// without the served movies either), or `nil` when `id` is malformed or its signature is
    /// wrong.
    public func decision(from id: String) -> Decision? {
        let parts = id.split(separator: ".", omittingEmptySubsequences: false)
        guard id.utf8.count <= Self.maximumIDLength, parts.count == 3, ["d1", "d2", "d3"].contains(parts[0]) else { return nil }
        let payload = String(parts[1])
        let expected = Data(signature(of: payload).utf8)
        // Compared in constant time.
        guard Data(parts[2].utf8).count == expected.count,
              zip(Data(parts[2].utf8), expected).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0,
              let data = Self.data(base64URL: payload), let text = String(data: data, encoding: .utf8) else { return nil }
        let fields = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let fieldCount = ["d1": 7, "d2": 8, "d3": 9][String(parts[0])]!
        guard fields.count == fieldCount, let config = Int(fields[2]), let weights = Int(fields[3]),
              let milliseconds = Int64(fields[5]), let nonce = UInt64(fields[6]) else { return nil }
        var isCounted = true
        if fieldCount == 9 {
            guard fields[7] == "1" || fields[7] == "0" else { return nil }
            isCounted = fields[7] == "1"
        }
        var items: [Int]?
        if let list = fieldCount > 7 ? fields.last : nil {
            let listed = list.isEmpty ? [] : list.split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
            guard !listed.contains(nil) else { return nil }
            items = listed.compactMap { $0 }
        }
        return Decision(experiment: fields[0], arm: fields[1], configVersion: config, weightVersion: weights, userID: fields[4],
                        time: Date(timeIntervalSince1970: Double(milliseconds) / 1_000), nonce: nonce, items: items, isCounted: isCounted)
    }

    /// The signature of `payload` (its text as in the id): the first 24 bytes of its HMAC in
    /// URL-safe base64, the 32 bytes written to `output`. The one signing both ways, making an
    /// id and checking one.
    private func sign(_ payload: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<UInt8>) {
        var hmac = keyed
        hmac.update(data: payload)
        hmac.finalize().withUnsafeBytes { _ = Self.encodeBase64URL(UnsafeRawBufferPointer(rebasing: $0.prefix(24)), into: output) }
    }

    private func signature(of payload: String) -> String {
        var payload = payload
        return payload.withUTF8 { bytes in
            String(unsafeUninitializedCapacity: 32) { output in
                sign(UnsafeRawBufferPointer(bytes), into: output)
                return 32
            }
        }
    }

    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Base64 with the URL-safe alphabet and no padding (RFC 4648 §5).
    public static func base64URL(_ bytes: [UInt8]) -> String {
        String(unsafeUninitializedCapacity: (bytes.count * 4 + 2) / 3) { output in
            bytes.withUnsafeBytes { encodeBase64URL($0, into: output) }
        }
    }

    /// Writes `bytes` in URL-safe base64 without padding to the start of `output` (which must
    /// hold `(bytes.count * 4 + 2) / 3` bytes) and returns how many it wrote.
    private static func encodeBase64URL(_ bytes: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<UInt8>) -> Int {
        alphabet.withUnsafeBufferPointer { alphabet in
            var written = output.startIndex
            var index = 0
            while index + 3 <= bytes.count {
                let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
                output[written] = alphabet[Int(value >> 18 & 63)]
                output[written + 1] = alphabet[Int(value >> 12 & 63)]
                output[written + 2] = alphabet[Int(value >> 6 & 63)]
                output[written + 3] = alphabet[Int(value & 63)]
                written += 4
                index += 3
            }
            let remaining = bytes.count - index
            if remaining > 0 {
                let value = UInt32(bytes[index]) << 16 | (remaining == 2 ? UInt32(bytes[index + 1]) << 8 : 0)
                output[written] = alphabet[Int(value >> 18 & 63)]
                output[written + 1] = alphabet[Int(value >> 12 & 63)]
                written += 2
                if remaining == 2 {
                    output[written] = alphabet[Int(value >> 6 & 63)]
                    written += 1
                }
            }
            return written - output.startIndex
        }
    }

    private static func data(base64URL text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}
