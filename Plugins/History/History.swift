import ArmoryKit
import Foundation

/// Movies the user has not seen, in the genres they viewed and liked lately.
///
/// Each genre's affinity is the number of the user's views in it within `lookback_days`, plus
/// `like_boost` for each like. A movie scores the sum of its genres' affinities divided by the
/// total affinity, so a movie in the user's favourite genres scores highest.
public struct History: RecommendationAlgorithm {
    public static let descriptor = AlgorithmDescriptor(
        name: "history",
        version: "1.0.0",
        summary: "Unseen movies in the genres the user viewed and liked, likes weighted up",
        parameters: [
            ParameterSpec(name: "like_boost", type: .number, defaultValue: .number(2), minimum: 0, maximum: 100,
                          summary: "How much a like counts, where a view counts 1"),
            ParameterSpec(name: "lookback_days", type: .integer, defaultValue: .integer(90), minimum: 1, maximum: 3_650,
                          summary: "How many days of history shape the user's tastes"),
        ]
    )

    let likeBoost: Double
    let lookback: TimeInterval

    public init(parameters: Parameters) throws {
        likeBoost = try parameters.number("like_boost")
        lookback = TimeInterval(try parameters.integer("lookback_days")) * 86_400
    }

    public func recommend(_ request: RecommendationRequest, data: any DataSource) async throws -> [ScoredItem] {
        let history = try await data.history(of: request.userID, since: nil)
        let catalog = try await data.catalog()
        let since = request.time.addingTimeInterval(-lookback)

        var affinity = [Double](repeating: 0, count: catalog.genres.count)
        func add(_ events: [HistoryEvent], weight: Double) {
            for event in events where event.time >= since {
                guard let index = catalog.index(of: event.movieID) else { continue }
                for genre in catalog.genreNumbers[index] { affinity[genre] += weight }
            }
        }
        add(history.views, weight: 1)
        add(history.likes, weight: likeBoost)
        let total = affinity.reduce(0, +)
        guard total > 0 else {
            return try await data.filled([], to: request.limit, excluding: request.exclusions)
        }

        let seen = history.seenMovieIDs
        var best = TopItems(limit: request.limit)
        for index in catalog.movies.indices {
            var score = 0.0
            for genre in catalog.genreNumbers[index] { score += affinity[genre] }
            // Only the id is read: copying each movie (its title and genres) would cost two
            // reference counts per movie of the catalog.
            let id = catalog.movies[index].id
            if score > 0, !seen.contains(id), !request.exclusions.contains(id) {
                best.insert(movieID: id, score: score / total)
            }
        }
        return try await data.filled(best.items, to: request.limit, excluding: request.exclusions.union(seen))
    }
}

@_cdecl("armory_module_entry")
public func armoryModuleEntry(hostABIVersion: UInt32, registrar: UnsafeMutableRawPointer) -> UInt32 {
    ArmoryModule.export([History.self], hostABIVersion: hostABIVersion, registrar: registrar)
}
