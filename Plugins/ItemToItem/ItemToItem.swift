import ArmoryKit

/// "People who watched X also watched Y": for the user's most recent views and likes, the
/// movies most often co-watched with them.
///
/// Each of the user's 20 most recent movies contributes its `neighbours` most co-watched
/// movies, each scored by its number of co-watching users (doubled when the user liked the
/// movie it came from); scores add up across the user's movies.
public struct ItemToItem: RecommendationAlgorithm {
    public static let descriptor = AlgorithmDescriptor(
        name: "item-to-item",
        version: "1.0.0",
        summary: "Movies co-watched with the user's recent views and likes",
        parameters: [
            ParameterSpec(name: "neighbours", type: .integer, defaultValue: .integer(20), minimum: 1, maximum: 200,
                          summary: "How many co-watched movies each of the user's movies contributes"),
        ]
    )

    /// How many of the user's most recent movies are used.
    static let recentMovies = 20

    let neighbours: Int

    public init(parameters: Parameters) throws {
        neighbours = try parameters.integer("neighbours")
    }

    public func recommend(_ request: RecommendationRequest, data: any DataSource) async throws -> [ScoredItem] {
        let history = try await data.history(of: request.userID, since: nil)
        let liked = Set(history.likes.map(\.movieID))
        let recent = (history.views + history.likes)
            .sorted { $0.time != $1.time ? $0.time > $1.time : $0.movieID < $1.movieID }
            .map(\.movieID)
        var sources: [Int] = []
        for movie in recent where sources.count < Self.recentMovies && !sources.contains(movie) {
            sources.append(movie)
        }

        // Scores added up by catalog position, in an array: a dictionary would hash each of the
        // up to a thousand neighbours twice on every request.
        let catalog = try await data.catalog()
        var scores = [Double](repeating: 0, count: catalog.movies.count)
        var scored: [Int] = []
        for source in sources {
            let weight: Double = liked.contains(source) ? 2 : 1
            for neighbour in try await data.coWatchedMovies(with: source, limit: neighbours) {
                guard let index = catalog.index(of: neighbour.movieID) else { continue }
                if scores[index] == 0 { scored.append(index) }
                scores[index] += weight * Double(neighbour.count)
            }
        }
        let skipped = catalog.flags(marking: history.views.lazy.map(\.movieID) + history.likes.lazy.map(\.movieID) + request.exclusions)
        var best = TopItems(limit: request.limit)
        for index in scored where !skipped[index] {
            best.insert(movieID: catalog.movies[index].id, score: scores[index])
        }
        guard best.items.count < request.limit else { return best.items }
        return try await data.filled(best.items, to: request.limit, excluding: request.exclusions.union(history.seenMovieIDs))
    }
}

@_cdecl("armory_module_entry")
public func armoryModuleEntry(hostABIVersion: UInt32, registrar: UnsafeMutableRawPointer) -> UInt32 {
    ArmoryModule.export([ItemToItem.self], hostABIVersion: hostABIVersion, registrar: registrar)
}
