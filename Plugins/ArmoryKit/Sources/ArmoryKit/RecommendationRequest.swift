import Foundation

/// What the host asks an algorithm for: recommendations for one user.
public struct RecommendationRequest: Sendable, Hashable {
    /// The user's id, as the client sent it.
    public var userID: String
    /// How many movies to return at most.
    public var limit: Int
    /// Movies the result must not contain (already on screen, say).
    public var exclusions: Set<Int>
    /// Free-form attributes of the request (device, page, country), for algorithms that use them.
    public var context: [String: String]
    /// The time of the request. Algorithms read "now" from here, never from the clock, so a
    /// request can be replayed with the same answer.
    public var time: Date

    /// Creates a request.
    public init(userID: String, limit: Int = 10, exclusions: Set<Int> = [], context: [String: String] = [:], time: Date = Date()) {
        self.userID = userID
        self.limit = limit
        self.exclusions = exclusions
        self.context = context
        self.time = time
    }
}
