import Foundation

/// An event as a client sends it (`POST /v1/events`), before validation.
public struct EventInput: Sendable, Hashable, Codable {
    /// The client's id for the event, so a retry counts once; made by the server when absent.
    public var eventID: String?
    /// `click`, `conversion`, `engagement`, `view` or `like`.
    public var type: String
    /// The decision the event follows (required for click, conversion and engagement).
    public var decisionID: String?
    /// The user; for outcomes it must be the decision's user.
    public var userID: String?
    /// The movie (required for click, view and like).
    public var movieID: Int?
    /// The engagement value (required for engagement; finite and ≥ 0).
    public var value: Double?
    /// The clicked movie's position in the list.
    public var position: Int?
    /// When it happened; the server's time when absent.
    public var time: Date?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case eventID = "event_id", type, decisionID = "decision_id", userID = "user_id", movieID = "movie_id", value, position, time
    }

    /// Reads an event, refusing fields it does not have (``UnknownFields``).
    public init(from decoder: any Decoder) throws {
        try UnknownFields.check(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        eventID = try container.decodeIfPresent(String.self, forKey: .eventID)
        type = try container.decode(String.self, forKey: .type)
        decisionID = try container.decodeIfPresent(String.self, forKey: .decisionID)
        userID = try container.decodeIfPresent(String.self, forKey: .userID)
        movieID = try container.decodeIfPresent(Int.self, forKey: .movieID)
        value = try container.decodeIfPresent(Double.self, forKey: .value)
        position = try container.decodeIfPresent(Int.self, forKey: .position)
        time = try container.decodeIfPresent(Date.self, forKey: .time)
    }

    /// Creates an input.
    public init(eventID: String? = nil, type: String, decisionID: String? = nil, userID: String? = nil, movieID: Int? = nil,
                value: Double? = nil, position: Int? = nil, time: Date? = nil) {
        self.eventID = eventID
        self.type = type
        self.decisionID = decisionID
        self.userID = userID
        self.movieID = movieID
        self.value = value
        self.position = position
        self.time = time
    }
}
