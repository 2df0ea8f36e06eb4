import ArmoryKit

/// Movies drawn uniformly from the catalog: pure exploration, and a floor any algorithm should
/// clear. The draw is seeded by the user and the day (UTC), so a user sees the same list all
/// day and a new one tomorrow.
public struct Random: RecommendationAlgorithm {
    public static let descriptor = AlgorithmDescriptor(
        name: "random",
        version: "1.0.0",
        summary: "Uniform picks from the catalog, the same for a user all day"
    )

    public init(parameters: Parameters) throws {}

    public func recommend(_ request: RecommendationRequest, data: any DataSource) async throws -> [ScoredItem] {
        let catalog = try await data.catalog()
        let day = Int((request.time.timeIntervalSince1970 / 86_400).rounded(.down))
        var generator = SplitMix64(hashing: "\(request.userID)|\(day)")
        var candidates = catalog.movies.compactMap { request.exclusions.contains($0.id) ? nil : $0.id }
        let count = min(request.limit, candidates.count)
        // A partial Fisher–Yates shuffle: the first `count` places end up a uniform sample.
        for place in 0..<count {
            let pick = place + Int(generator.next(upperBound: UInt64(candidates.count - place)))
            candidates.swapAt(place, pick)
        }
        return candidates.prefix(count).enumerated().map { rank, movieID in
            ScoredItem(movieID: movieID, score: Double(count - rank))
        }
    }
}

@_cdecl("armory_module_entry")
public func armoryModuleEntry(hostABIVersion: UInt32, registrar: UnsafeMutableRawPointer) -> UInt32 {
    ArmoryModule.export([Random.self], hostABIVersion: hostABIVersion, registrar: registrar)
}
