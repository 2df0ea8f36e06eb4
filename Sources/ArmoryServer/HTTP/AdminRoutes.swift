import ArmoryCore
import Hummingbird

/// The routes that change experiments (roll back, restore an arm, pause, resume, reload) and move model
/// aliases, all behind ``AdminAuthentication``; each asks for a reason and is recorded in the
/// audit log.
struct AdminRoutes {
    let control: ExperimentControl
    let models: ModelRegistry
    let adminToken: String

    var collection: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        routes.add(middleware: AdminAuthentication(token: adminToken))
        routes.post("/v1/experiments/:id/rollback") { request, context in
            let id = try RouteParameters.experimentID(context)
            let body = try await APIJSON.decode(ChangeRequest.self, from: request)
            let target = try body.rollbackTarget()
            let live = try await control.rollback(id, to: target, actor: try body.actorName(), reason: try body.requiredReason())
            context.logger.notice("experiment rolled back", metadata: ["experiment": "\(id)", "target": "\(target)"])
            return try APIJSON.response(ExperimentSummary(live))
        }
        routes.post("/v1/experiments/:id/arms/:arm/restore") { request, context in
            let id = try RouteParameters.experimentID(context)
            let arm = context.parameters.get("arm") ?? ""
            let body = try await APIJSON.decode(ChangeRequest.self, from: request)
            try body.refuseTarget()
            let live = try await control.restore(id, arm: arm, actor: try body.actorName(), reason: try body.requiredReason())
            context.logger.notice("arm restored", metadata: ["experiment": "\(id)", "arm": "\(arm)"])
            return try APIJSON.response(ExperimentSummary(live))
        }
        addStatusChange("pause", to: routes, change: control.pause)
        addStatusChange("resume", to: routes, change: control.resume)
        routes.post("/v1/admin/reload") { request, _ in
            let body = try await APIJSON.decode(ChangeRequest.self, from: request)
            try body.refuseTarget()
            return try APIJSON.response(try await control.reload(actor: try body.actorName(), reason: try body.requiredReason()))
        }
        routes.post("/v1/models/:name/aliases/:alias") { request, context in
            let name = try RouteParameters.modelName(context)
            let alias = context.parameters.get("alias") ?? ""
            let body = try await APIJSON.decode(ChangeRequest.self, from: request)
            guard let version = body.toVersion, body.toArm == nil else {
                throw ArmoryError.invalid("to_version", "say which version the alias points at: {\"to_version\": 3, \"reason\": \"…\"}")
            }
            let following = control.experiments(following: ModelReference(name: name, selector: .alias(alias)))
            let move = try await models.moveAlias(alias, of: name, to: version, actor: try body.actorName(), reason: try body.requiredReason(),
                                                  experiments: following)
            context.logger.notice("model alias moved", metadata: ["model": "\(name)", "alias": "\(alias)", "version": "\(version)"])
            return try APIJSON.response(move)
        }
        return routes
    }

    /// `POST /v1/experiments/{id}/<action>`: a status change that takes no target.
    private func addStatusChange(
        _ action: String, to routes: RouteCollection<BasicRequestContext>,
        change: @escaping @Sendable (_ id: String, _ actor: String, _ reason: String) async throws -> LiveExperiment
    ) {
        routes.post("/v1/experiments/:id/\(action)") { request, context in
            let id = try RouteParameters.experimentID(context)
            let body = try await APIJSON.decode(ChangeRequest.self, from: request)
            try body.refuseTarget()
            let live = try await change(id, try body.actorName(), try body.requiredReason())
            context.logger.notice("experiment \(action)d", metadata: ["experiment": "\(id)"])
            return try APIJSON.response(ExperimentSummary(live))
        }
    }
}
