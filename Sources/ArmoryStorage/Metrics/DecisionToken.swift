import Crypto
import Foundation

/// A decision: which arm of which experiment served a user, under which versions.
public struct Decision: Sendable, Hashable, Codable {
    /// The experiment.
    public var experiment: String
    /// The arm assigned (whose module's list, or the fallback's, was served).
    public var arm: String
    /// The experiment's config version.
    public var configVersion: Int
    /// The weight version.
    public var weightVersion: Int
    /// The user.
    public var userID: String
    /// When.
    public var time: Date
    /// Random, so two decisions never share an id.
    public var nonce: UInt64

    /// Creates a decision.
    public init(experiment: String, arm: String, configVersion: Int, weightVersion: Int, userID: String, time: Date, nonce: UInt64) {
        self.experiment = experiment
        self.arm = arm
        self.configVersion = configVersion
        self.weightVersion = weightVersion
        self.userID = userID
        self.time = time
        self.nonce = nonce
    }
}

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

    /// `d1.<payload>.<signature>`, URL-safe.
    public func id(for decision: Decision) -> String {
        var text = decision.experiment
        text.reserveCapacity(decision.experiment.utf8.count + decision.arm.utf8.count + decision.userID.utf8.count + 48)
        for field in [decision.arm, String(decision.configVersion), String(decision.weightVersion), decision.userID,
                      String(Int64((decision.time.timeIntervalSince1970 * 1_000).rounded())), String(decision.nonce)] {
            text += "\n"
            text += field
        }
        let payload = Self.base64URL(Array(text.utf8))
        return "d1.\(payload).\(signature(of: payload))"
    }

    /// The decision inside `id`, or `nil` when `id` is malformed or its signature is wrong.
    public func decision(from id: String) -> Decision? {
        let parts = id.split(separator: ".", omittingEmptySubsequences: false)
        guard id.utf8.count <= 1_024, parts.count == 3, parts[0] == "d1" else { return nil }
        let payload = String(parts[1])
        let expected = Data(signature(of: payload).utf8)
        // Compared in constant time.
        guard Data(parts[2].utf8).count == expected.count,
              zip(Data(parts[2].utf8), expected).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0,
              let data = Self.data(base64URL: payload), let text = String(data: data, encoding: .utf8) else { return nil }
        let fields = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 7, let config = Int(fields[2]), let weights = Int(fields[3]),
              let milliseconds = Int64(fields[5]), let nonce = UInt64(fields[6]) else { return nil }
        return Decision(experiment: fields[0], arm: fields[1], configVersion: config, weightVersion: weights, userID: fields[4],
                        time: Date(timeIntervalSince1970: Double(milliseconds) / 1_000), nonce: nonce)
    }

    private func signature(of payload: String) -> String {
        var hmac = keyed
        hmac.update(data: Array(payload.utf8))
        return String(Self.base64URL(Array(hmac.finalize())).prefix(32))
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Base64 with the URL-safe alphabet and no padding (RFC 4648 §5), written directly: this
    /// runs twice for every decision.
    public static func base64URL(_ bytes: [UInt8]) -> String {
        String(unsafeUninitializedCapacity: (bytes.count * 4 + 2) / 3) { output in
            var written = 0
            var index = 0
            while index + 3 <= bytes.count {
                let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
                for shift in [18, 12, 6, 0] {
                    output[written] = alphabet[Int((value >> UInt32(shift)) & 63)]
                    written += 1
                }
                index += 3
            }
            let remaining = bytes.count - index
            if remaining > 0 {
                let value = UInt32(bytes[index]) << 16 | (remaining == 2 ? UInt32(bytes[index + 1]) << 8 : 0)
                for shift in (remaining == 2 ? [18, 12, 6] : [18, 12]) {
                    output[written] = alphabet[Int((value >> UInt32(shift)) & 63)]
                    written += 1
                }
            }
            return written
        }
    }

    private static func data(base64URL text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}
