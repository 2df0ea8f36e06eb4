import ArmoryCore
import Hummingbird

/// The read-only routes of the model registry: models, their versions (with what each was
/// trained on and how it scored offline) and their aliases. Moving an alias is an admin route
/// (``AdminRoutes``).
struct ModelRoutes {
    let models: ModelRegistry

    var collection: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        routes.get("/v1/models") { _, _ in
            try APIJSON.response(ModelList(models: try await models.models()))
        }
        routes.get("/v1/models/:name") { _, context in
            let name = try RouteParameters.modelName(context)
            let versions = try await models.versions(of: name)
            let (moves, aliases) = try await models.aliases(of: name)
            return try APIJSON.response(ModelDetail(name: name, aliases: aliases, versions: versions, aliasMoves: moves))
        }
        routes.get("/v1/models/:name/versions/:version") { _, context in
            let name = try RouteParameters.modelName(context)
            guard let text = context.parameters.get("version"), let number = Int(text), number >= 1 else {
                throw ArmoryError.invalid("version", "a model version is a whole number from 1")
            }
            return try APIJSON.response(try await models.resolve(ModelReference(name: name, selector: .version(number))))
        }
        return routes
    }
}

/// `GET /v1/models`: every model with its versions and aliases.
public struct ModelList: Sendable, Codable {
    public var models: [ModelRegistry.Summary]
}

/// `GET /v1/models/{name}`: a model's versions, its aliases now, and every alias move.
public struct ModelDetail: Sendable, Codable {
    public var name: String
    public var aliases: [String: Int]
    public var versions: [ModelVersion]
    public var aliasMoves: [AliasMove]
}

extension RouteParameters {
    /// The path's `{name}`, a model name.
    static func modelName(_ context: BasicRequestContext) throws -> String {
        guard let name = context.parameters.get("name"), ModelReference.isValidName(name) else {
            throw ArmoryError.invalid("name", "a model name is 1 to 64 lower-case letters, digits and '-', starting with a letter or digit")
        }
        return name
    }
}
