import ArmoryCore
import Foundation
import Hummingbird

/// Reads the parameters several routes share, refusing bad ones with an invalid ``ArmoryError``.
enum RouteParameters {
    /// The path's `{id}`, an experiment id.
    static func experimentID(_ context: BasicRequestContext) throws -> String {
        guard let id = context.parameters.get("id"), Experiment.isValidID(id) else {
            throw ArmoryError.invalid("id", "an experiment id is 1 to 64 lower-case letters, digits and '-'")
        }
        return id
    }

    /// `?limit=` from 1 to 1000, or `defaultLimit`.
    static func limit(_ request: Request, default defaultLimit: Int) throws -> Int {
        guard let text = request.uri.queryParameters.get("limit") else { return defaultLimit }
        guard let limit = Int(text), (1...1_000).contains(limit) else {
            throw ArmoryError.invalid("limit", "limit must be a whole number from 1 to 1000, not '\(text)'")
        }
        return limit
    }

    /// `?until=` as an ISO 8601 time (what the results page links with), or `nil`.
    static func until(_ request: Request) throws -> Date? {
        guard let text = request.uri.queryParameters.get("until") else { return nil }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
        if let date = try? Date(text, strategy: .iso8601) { return date }
        throw ArmoryError.invalid("until", "until must be an ISO 8601 time such as 2026-12-02T14:05:00Z, not '\(text)'")
    }
}
