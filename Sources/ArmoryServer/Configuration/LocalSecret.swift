import Crypto
import Foundation

/// A secret kept in a file of the data folder (mode 0600), made on first use: the embedded
/// default's admin token and decision-signing secret, so a first run needs no setup.
enum LocalSecret {
    /// The secret in `directory/name`, created with 32 random bytes (hex) when missing.
    static func load(named name: String, in directory: String) throws -> String {
        let path = (directory as NSString).appendingPathComponent(name)
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            let secret = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard secret.utf8.count >= 16 else {
                throw ConfigurationError("\(path) holds fewer than 16 characters; delete it to have a new secret made")
            }
            return secret
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let secret = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.map { String(format: "%02x", $0) }.joined()
            guard FileManager.default.createFile(atPath: path, contents: Data((secret + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
                throw CocoaError(.fileWriteUnknown)
            }
            return secret
        } catch {
            throw ConfigurationError("cannot create \(path): \(error.localizedDescription)")
        }
    }
}
