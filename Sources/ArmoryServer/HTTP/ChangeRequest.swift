import ArmoryCore
import Foundation

/// The body of an admin request: why (required), who (optional), and for a rollback where to.
struct ChangeRequest: Decodable {
    var reason: String?
    var actor: String?
    var toVersion: Int?
    var toArm: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case reason, actor, toVersion = "to_version", toArm = "to_arm"
    }

    init(from decoder: any Decoder) throws {
        try UnknownFields.check(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        reason = try container.decodeIfPresent(String.self, forKey: .reason)
        actor = try container.decodeIfPresent(String.self, forKey: .actor)
        toVersion = try container.decodeIfPresent(Int.self, forKey: .toVersion)
        toArm = try container.decodeIfPresent(String.self, forKey: .toArm)
    }

    /// Throws an invalid ``ArmoryError`` when the body names where to roll back to, on a route that is not a rollback.
    func refuseTarget() throws {
        guard toVersion == nil, toArm == nil else {
            throw ArmoryError.invalid(toVersion != nil ? "to_version" : "to_arm", "to_version and to_arm are for rollback only")
        }
    }

    /// The reason, trimmed, or an invalid ``ArmoryError`` asking for one.
    func requiredReason() throws -> String {
        let text = (reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw ArmoryError.invalid("reason", "a reason is required: say why, for the audit log") }
        guard text.count <= 1_000 else { throw ArmoryError.invalid("reason", "the reason may be at most 1000 characters") }
        return text
    }

    /// Where a rollback goes: exactly one of `to_version` and `to_arm`.
    func rollbackTarget() throws -> ExperimentControl.Target {
        switch (toVersion, toArm) {
        case (let version?, nil):
            guard version >= 1 else { throw ArmoryError.invalid("to_version", "to_version must be 1 or more") }
            return .version(version)
        case (nil, let arm?):
            return .arm(arm)
        default:
            throw ArmoryError.invalid("target", "give exactly one of to_version (restore those weights) or to_arm (all traffic to one arm)")
        }
    }

    /// Who, as given, or `admin`.
    func actorName() throws -> String {
        let name = (actor ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard name.count <= 100 else { throw ArmoryError.invalid("actor", "the actor may be at most 100 characters") }
        return name.isEmpty ? "admin" : name
    }
}
