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
    private let key: SymmetricKey

    /// A signer with `secret` (share it between replicas; at least 16 bytes).
    public init(secret: some DataProtocol) {
        key = SymmetricKey(data: Data(secret))
    }

    /// `d1.<payload>.<signature>`, URL-safe.
    public func id(for decision: Decision) -> String {
        let fields = [decision.experiment, decision.arm, String(decision.configVersion), String(decision.weightVersion),
                      decision.userID, String(Int64((decision.time.timeIntervalSince1970 * 1_000).rounded())), String(decision.nonce)]
        let payload = Self.base64URL(Data(fields.joined(separator: "\n").utf8))
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
        let mac = HMAC<SHA256>.authenticationCode(for: Data(payload.utf8), using: key)
        return String(Self.base64URL(Data(mac)).prefix(32))
    }

    private static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    private static func data(base64URL text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}
