import Foundation

/// What happened.
public enum EventType: String, Sendable, Hashable, Codable, CaseIterable {
    /// A decision: a list served to a user. One per decision; its event id is the decision id.
    case impression
    /// The user clicked a served movie.
    case click
    /// The user converted (started watching, subscribed) after a served list.
    case conversion
    /// A measured value after a decision, e.g. seconds watched.
    case engagement
    /// The user watched a movie (also appended to their history).
    case view
    /// The user liked a movie (also appended to their history).
    case like

    /// Whether the event is an outcome of a decision and must name one.
    public var needsDecision: Bool { self != .view && self != .like }
}

/// One event as stored: who, what, when, and the decision it belongs to, with the experiment
/// and arm taken from that decision (never from the client).
public struct Event: Sendable, Hashable, Codable {
    /// Unique per event; a retried or replayed event keeps its id, so it counts once.
    public var eventID: String
    /// What happened.
    public var type: EventType
    /// When.
    public var time: Date
    /// The decision it belongs to ("" for views and likes outside any experiment).
    public var decisionID: String
    /// The decision's experiment ("" when none, and for the outcomes of a decision that does
    /// not count in it).
    public var experiment: String
    /// The decision's arm ("" when the experiment is).
    public var arm: String
    /// The experiment's config version when the decision was made.
    public var configVersion: Int
    /// The weight version the decision was made with.
    public var weightVersion: Int
    /// When the decision was made (for an impression, its own time). Every event of a decision
    /// shares it, which lets the stores total decisions by the hour they were made in.
    public var decisionTime: Date
    /// The user (the experiment's unit).
    public var userID: String
    /// The movie clicked, viewed or liked (0 when none).
    public var movieID: Int
    /// The engagement value (0 for other types).
    public var value: Double
    /// The clicked movie's position in the served list (-1 when none).
    public var position: Int
    /// For impressions, the served movies in order.
    public var items: [Int]
    /// For impressions, the arm whose module made the list: the decision's arm, or the
    /// experiment's fallback arm when the arm's module failed (`nil` for other events, and for
    /// impressions spooled by an Armory that did not record it).
    public var servedBy: String?
    /// For impressions, how the arm's module failed when the fallback arm answered (`nil` when
    /// it answered itself, and for other events).
    public var moduleFailure: ModuleFailure?
    /// For impressions, the trained model version that made the list (`movies-mf@3`), when the
    /// arm that answered serves one (`nil` otherwise).
    public var model: String?

    /// The event id the stores keep: none for an impression, whose id is its decision id (kept
    /// beside it). Most rows are impressions, and the 100-byte id twice made every row larger.
    public var storedEventID: String? { type == .impression ? nil : eventID }

    /// Creates an event.
    public init(
        eventID: String, type: EventType, time: Date, decisionID: String = "", experiment: String = "", arm: String = "",
        configVersion: Int = 0, weightVersion: Int = 0, decisionTime: Date? = nil, userID: String, movieID: Int = 0, value: Double = 0,
        position: Int = -1, items: [Int] = [], servedBy: String? = nil, moduleFailure: ModuleFailure? = nil, model: String? = nil
    ) {
        self.model = model
        self.eventID = eventID
        self.type = type
        self.time = time
        self.decisionID = decisionID
        self.experiment = experiment
        self.arm = arm
        self.configVersion = configVersion
        self.weightVersion = weightVersion
        self.decisionTime = decisionTime ?? time
        self.userID = userID
        self.movieID = movieID
        self.value = value
        self.position = position
        self.items = items
        self.servedBy = servedBy
        self.moduleFailure = moduleFailure
    }
}
