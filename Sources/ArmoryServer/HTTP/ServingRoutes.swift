import ArmoryCore
import Foundation
import Hummingbird

/// `GET /v1/recommendations` and `POST /v1/events`: what client applications call.
struct ServingRoutes {
    let recommendations: RecommendationService
    let ingest: EventIngest

    var collection: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        routes.get("/v1/recommendations") { request, context in
            let query = request.uri.queryParameters
            let answer = try await recommendations.recommend(
                userID: query.get("user_id"), experimentID: query.get("experiment"), limit: query.get("limit"), logger: context.logger)
            return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                            body: ResponseBody(byteBuffer: answer.jsonBuffer()))
        }
        routes.post("/v1/events") { request, context in
            let body = try await APIJSON.body(of: request, limit: 4 << 20, tooLarge: "an events request may be at most 4 MiB")
            // One event, or a batch of them.
            let isBatch = body.first { !$0.isWhitespace } == UInt8(ascii: "[")
            let inputs = isBatch ? try APIJSON.decode([EventInput].self, from: body) : [try APIJSON.decode(EventInput.self, from: body)]
            let accepted = try await ingest.ingest(inputs, isBatch: isBatch, logger: context.logger)
            return try APIJSON.response(["accepted": accepted], status: .accepted)
        }
        return routes
    }
}

private extension UInt8 {
    var isWhitespace: Bool { self == 0x20 || self == 0x0A || self == 0x0D || self == 0x09 }
}
