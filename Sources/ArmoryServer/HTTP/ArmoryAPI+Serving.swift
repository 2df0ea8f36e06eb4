import ArmoryStorage
import Foundation
import Hummingbird

extension ArmoryAPI {
    /// The most events one request may carry.
    static let maximumEventBatch = 1_000

    func addServingRoutes(to table: inout RouteTable, writer: EventWriter) {
        let recommendations = RecommendationService(catalog: catalog, data: data, signer: signer, writer: writer, metrics: metrics)
        table.add(.get, "/v1/recommendations") { request, context in
            let query = request.uri.queryParameters
            let answer = try await recommendations.recommend(
                userID: query.get("user_id"), experimentID: query.get("experiment"), limit: query.get("limit"), logger: context.logger)
            return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                            body: ResponseBody(byteBuffer: answer.jsonBuffer()))
        }

        table.add(.post, "/v1/events") { request, context in
            let buffer: ByteBuffer
            do {
                buffer = try await request.body.collect(upTo: 4 << 20)
            } catch {
                throw APIError(.contentTooLarge, "body_too_large", "an events request may be at most 4 MiB")
            }
            let data = Data(buffer: buffer)
            // One event, or a batch of them.
            let isBatch = data.first { !$0.isWhitespace } == UInt8(ascii: "[")
            let inputs = isBatch ? try APIJSON.decode([EventInput].self, from: data) : [try APIJSON.decode(EventInput.self, from: data)]
            guard !inputs.isEmpty else { throw APIError.invalid("events", "the batch is empty") }
            guard inputs.count <= Self.maximumEventBatch else {
                throw APIError.invalid("events", "a batch may hold at most \(Self.maximumEventBatch) events, not \(inputs.count)")
            }
            let arms = Dictionary(uniqueKeysWithValues: catalog.experiments.map { ($0.id, Set($0.experiment.arms.map(\.name))) })
            let validator = EventValidator(signer: signer, arms: arms)
            let now = Date()
            var events: [Event] = []
            for (index, input) in inputs.enumerated() {
                do {
                    events.append(try validator.validate(input, now: now))
                } catch let error as EventError {
                    metrics.increment("armory_events_rejected_total", [("code", error.code.rawValue)])
                    // The whole batch is refused, so a client can fix and resend it as it was.
                    throw APIError(.badRequest, error.code.rawValue, isBatch ? "events[\(index)]: \(error.message)" : error.message)
                }
            }
            do {
                try await writer.write(events)
            } catch is EventWriter.Busy {
                throw APIError.unavailable("busy", "the event queue is full; retry shortly")
            } catch is EventWriter.Stopped {
                throw APIError.unavailable("shutting_down", "the server is shutting down; send the events to another replica")
            } catch {
                context.logger.error("events not stored", metadata: ["error": "\(error)"])
                throw APIError.unavailable("not_stored", "the events could not be stored; retry them", retryAfter: 5)
            }
            for event in events {
                metrics.increment("armory_events_accepted_total", [("type", event.type.rawValue)])
            }
            hotList?.record(events)
            return try APIJSON.response(["accepted": events.count], status: .accepted)
        }
    }
}

private extension UInt8 {
    var isWhitespace: Bool { self == 0x20 || self == 0x0A || self == 0x0D || self == 0x09 }
}
