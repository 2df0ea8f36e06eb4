import ArmoryCore
import Foundation
import Hummingbird

extension ArmoryAPI {
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

        /// Throws 400 when the body names where to roll back to, on a route that is not a rollback.
        func refuseTarget() throws {
            guard toVersion == nil, toArm == nil else {
                throw APIError.invalid(toVersion != nil ? "to_version" : "to_arm", "to_version and to_arm are for rollback only")
            }
        }

        /// The reason, trimmed, or a 400 asking for one.
        func requiredReason() throws -> String {
            let text = (reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else { throw APIError.invalid("reason", "a reason is required: say why, for the audit log") }
            guard text.count <= 1_000 else { throw APIError.invalid("reason", "the reason may be at most 1000 characters") }
            return text
        }

        /// Who, as given, or `admin`.
        func actorName() throws -> String {
            let name = (actor ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard name.count <= 100 else { throw APIError.invalid("actor", "the actor may be at most 100 characters") }
            return name.isEmpty ? "admin" : name
        }
    }

    func addAdminRoutes(to table: inout RouteTable) {
        table.add(.post, "/v1/experiments/:id/rollback") { request, context in
            try requireAdmin(request)
            let id = try Self.experimentID(context)
            let body = try await APIJSON.decode(ChangeRequest.self, from: request)
            let target: ExperimentControl.Target
            switch (body.toVersion, body.toArm) {
            case (let version?, nil):
                guard version >= 1 else { throw APIError.invalid("to_version", "to_version must be 1 or more") }
                target = .version(version)
            case (nil, let arm?):
                target = .arm(arm)
            default:
                throw APIError.invalid("target", "give exactly one of to_version (restore those weights) or to_arm (all traffic to one arm)")
            }
            let live = try await control.rollback(id, to: target, actor: try body.actorName(), reason: try body.requiredReason())
            context.logger.notice("experiment rolled back", metadata: ["experiment": "\(id)", "target": "\(target)"])
            return try APIJSON.response(ExperimentSummary(live))
        }

        table.add(.post, "/v1/experiments/:id/pause") { request, context in
            try requireAdmin(request)
            let id = try Self.experimentID(context)
            let body = try await APIJSON.decode(ChangeRequest.self, from: request)
            try body.refuseTarget()
            let live = try await control.pause(id, actor: try body.actorName(), reason: try body.requiredReason())
            context.logger.notice("experiment paused", metadata: ["experiment": "\(id)"])
            return try APIJSON.response(ExperimentSummary(live))
        }

        table.add(.post, "/v1/experiments/:id/resume") { request, context in
            try requireAdmin(request)
            let id = try Self.experimentID(context)
            let body = try await APIJSON.decode(ChangeRequest.self, from: request)
            try body.refuseTarget()
            let live = try await control.resume(id, actor: try body.actorName(), reason: try body.requiredReason())
            context.logger.notice("experiment resumed", metadata: ["experiment": "\(id)"])
            return try APIJSON.response(ExperimentSummary(live))
        }

        table.add(.post, "/v1/admin/reload") { request, _ in
            try requireAdmin(request)
            let body = try await APIJSON.decode(ChangeRequest.self, from: request)
            try body.refuseTarget()
            let actor = try body.actorName()
            let reason = try body.requiredReason()
            let report = try await catalog.reload(actor: actor)
            _ = try await store.appendAuditEntry(.init(
                experimentID: nil, actor: actor, action: "reload", reason: reason,
                detail: "loaded=\(report.loaded.count) new_versions=\(report.loaded.filter(\.isNewVersion).map(\.id)) "
                    + "refused=\(report.refused.map(\.file)) removed=\(report.removed)", createdAt: Date()))
            return try APIJSON.response(report)
        }
    }
}
