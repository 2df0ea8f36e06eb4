import ArmoryKit

/// Films released before `before_year` that the user has not seen, oldest first.
public struct Classics: RecommendationAlgorithm {
    public static let descriptor = AlgorithmDescriptor(
        name: "classics",
        version: "1.0.0",
        summary: "Unseen films from before before_year, oldest first",
        parameters: [ParameterSpec(name: "before_year", type: .integer, defaultValue: .integer(1980), summary: "Latest year counted")]
    )

    let beforeYear: Int

    public init(parameters: Parameters) throws {
        beforeYear = try parameters.integer("before_year")
    }

    public func recommend(_ request: RecommendationRequest, data: any DataSource) async throws -> [ScoredItem] {
        let excluded = request.exclusions.union(try await data.history(of: request.userID, since: nil).seenMovieIDs)
        let old = try await data.catalog().movies.filter { $0.year < beforeYear && !excluded.contains($0.id) }
        let items = old.sorted { ($0.year, $0.id) < ($1.year, $1.id) }.prefix(request.limit)
            .map { ScoredItem(movieID: $0.id, score: Double(beforeYear - $0.year)) }
        return try await data.filled(Array(items), to: request.limit, excluding: excluded)
    }
}

@_cdecl("armory_module_entry")
public func armoryModuleEntry(hostABIVersion: UInt32, registrar: UnsafeMutableRawPointer) -> UInt32 {
    ArmoryModule.export([Classics.self], hostABIVersion: hostABIVersion, registrar: registrar)
}
