import ArmoryKit
import Foundation

/// The most viewed movies of the last `window_days`, optionally in one genre: the hot list
/// everyone sees, and the baseline every personal algorithm has to beat.
public struct Popularity: RecommendationAlgorithm {
    public static let descriptor = AlgorithmDescriptor(
        name: "popularity",
        version: "1.0.0",
        summary: "The most viewed movies of the last window_days, optionally in one genre",
        parameters: [
            ParameterSpec(name: "genre", type: .string, defaultValue: .string(""),
                          summary: "Only movies in this genre; empty for every genre"),
            ParameterSpec(name: "window_days", type: .integer, defaultValue: .integer(7), minimum: 1, maximum: 3_650,
                          summary: "How many days of views count"),
        ]
    )

    let genre: String?
    let window: TimeInterval

    public init(parameters: Parameters) throws {
        genre = try parameters.optionalString("genre")
        window = TimeInterval(try parameters.integer("window_days")) * 86_400
    }

    public func recommend(_ request: RecommendationRequest, data: any DataSource) async throws -> [ScoredItem] {
        let since = request.time.addingTimeInterval(-window)
        let popular = try await data.popularMovies(genre: genre, since: since, limit: request.limit + request.exclusions.count)
        var items: [ScoredItem] = []
        items.reserveCapacity(request.limit)
        for movie in popular where items.count < request.limit && !request.exclusions.contains(movie.movieID) {
            items.append(ScoredItem(movieID: movie.movieID, score: Double(movie.count)))
        }
        return try await data.filled(items, to: request.limit, excluding: request.exclusions)
    }
}

@_cdecl("armory_module_entry")
public func armoryModuleEntry(hostABIVersion: UInt32, registrar: UnsafeMutableRawPointer) -> UInt32 {
    ArmoryModule.export([Popularity.self], hostABIVersion: hostABIVersion, registrar: registrar)
}
