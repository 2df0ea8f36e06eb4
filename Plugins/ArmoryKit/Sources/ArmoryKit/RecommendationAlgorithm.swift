/// A recommendation algorithm: the one protocol an algorithm module implements.
///
/// The host creates one instance per experiment arm, with that arm's parameters, and calls
/// ``recommend(_:data:)`` for every request the arm serves, possibly from many tasks at once.
/// Instances must therefore be immutable (or protect their own state), and the same request
/// over the same data should give the same answer, with ties broken by movie id.
///
/// ```swift
/// struct Newest: RecommendationAlgorithm {
///     static let descriptor = AlgorithmDescriptor(name: "newest", version: "1.0.0", summary: "The newest movies")
///     init(parameters: Parameters) throws {}
///     func recommend(_ request: RecommendationRequest, data: any DataSource) async throws -> [ScoredItem] {
///         let movies = try await data.catalog().movies.sorted { ($0.year, -$0.id) > ($1.year, -$1.id) }
///         return movies.prefix(request.limit).map { ScoredItem(movieID: $0.id, score: Double($0.year)) }
///     }
/// }
/// ```
public protocol RecommendationAlgorithm: Sendable {
    /// The algorithm's name, version, summary and parameters.
    static var descriptor: AlgorithmDescriptor { get }

    /// Creates the algorithm for one arm. `parameters` holds every parameter of the descriptor,
    /// with defaults filled in and types already checked; throw ``AlgorithmError`` for a value
    /// that is well-typed but unusable, with a message that says why.
    init(parameters: Parameters) throws

    /// At most `request.limit` movies for `request.userID`, best first, none of them in
    /// `request.exclusions`.
    func recommend(_ request: RecommendationRequest, data: any DataSource) async throws -> [ScoredItem]
}

/// An error an algorithm module throws; its message is shown to the people running the
/// experiment, so it should name the problem.
public struct AlgorithmError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public var message: String

    /// Creates an error with `message`.
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
