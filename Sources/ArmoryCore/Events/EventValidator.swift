import Foundation

/// Checks client events and turns them into stored ``Event``s, taking experiment and arm from
/// the signed decision.
public struct EventValidator: Sendable {
    /// The largest position a click without a served list (a decision id of the first format)
    /// may name, plus one: the most movies a recommendation returns.
    static let maximumPosition = 100

    let signer: DecisionSigner
    /// The running experiments' arms, by experiment id.
    let arms: [String: Set<String>]

    /// A validator that trusts decisions signed by `signer` for the experiments in `arms`.
    public init(signer: DecisionSigner, arms: [String: Set<String>]) {
        self.signer = signer
        self.arms = arms
    }

    /// The stored form of `input`, received at `now`, or the first problem with it.
    public func validate(_ input: EventInput, now: Date, makeID: () -> String = { UUID().uuidString.lowercased() }) throws(ArmoryError) -> Event {
        guard let type = EventType(rawValue: input.type), type != .impression else {
            throw ArmoryError.event(.invalidType, "type '\(input.type)' is not one of click, conversion, engagement, view, like"
                + (input.type == "impression" ? " (impressions are recorded by the server)" : ""))
        }
        let eventID = input.eventID ?? makeID()
        guard (1...64).contains(eventID.utf8.count),
              eventID.utf8.allSatisfy({ $0 == 0x2D || $0 == 0x5F || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }) else {
            throw ArmoryError.event(.invalidEventID, "event_id must be 1 to 64 letters, digits, '-' or '_'")
        }
        let time = input.time ?? now
        if let problem = InputLimits.problem(time: time, now: now) {
            throw ArmoryError.event(.invalidTime, problem)
        }
        if let userID = input.userID, let problem = InputLimits.problem(userID: userID) {
            throw ArmoryError.event(.invalidUserID, problem)
        }
        var event = Event(eventID: eventID, type: type, time: time, userID: input.userID ?? "", position: input.position ?? -1)
        var served: [Int]?
        if let decisionID = input.decisionID {
            served = try attach(decisionID, claimedUser: input.userID, to: &event)
        } else if type.needsDecision {
            throw ArmoryError.event(.missingField, "a \(type.rawValue) event needs the decision_id it follows")
        }
        guard !event.userID.isEmpty else {
            throw ArmoryError.event(.missingField, "a \(type.rawValue) event needs user_id")
        }
        if [.click, .view, .like].contains(type) {
            guard let movie = input.movieID else {
                throw ArmoryError.event(.missingField, "a \(type.rawValue) event needs a movie_id")
            }
            guard (1...InputLimits.maximumMovieID).contains(movie) else {
                throw ArmoryError.event(.invalidValue, "movie_id must be from 1 to \(InputLimits.maximumMovieID), not \(movie)")
            }
            event.movieID = movie
        }
        if type == .click, let served {
            try Self.check(click: event.movieID, position: input.position, against: served)
        } else if let position = input.position, !(0..<Self.maximumPosition).contains(position) {
            throw ArmoryError.event(.invalidValue, "position must be from 0 to \(Self.maximumPosition - 1), not \(position)")
        }
        event.value = try Self.value(of: input, type: type)
        return event
    }

    /// Takes experiment, arm, versions and user from the signed decision; returns the movies it
    /// served (`nil` for a decision id of the first format, which did not carry them).
    private func attach(_ decisionID: String, claimedUser: String?, to event: inout Event) throws(ArmoryError) -> [Int]? {
        guard let decision = signer.decision(from: decisionID) else {
            throw ArmoryError.event(.unknownDecision, "decision_id is not one this server made")
        }
        guard let experimentArms = arms[decision.experiment] else {
            throw ArmoryError.event(.unknownExperiment, "decision_id belongs to experiment '\(decision.experiment)', which is not running")
        }
        guard experimentArms.contains(decision.arm) else {
            throw ArmoryError.event(.unknownArm, "decision_id names arm '\(decision.arm)', which experiment '\(decision.experiment)' no longer has")
        }
        if let claimedUser, claimedUser != decision.userID {
            throw ArmoryError.event(.unknownDecision, "decision_id was made for another user")
        }
        event.decisionID = decisionID
        // An outcome of a decision that does not count (outside coverage, paused, pinned) is
        // kept outside any experiment, so no total counts it.
        event.experiment = decision.isCounted ? decision.experiment : ""
        event.arm = decision.isCounted ? decision.arm : ""
        event.configVersion = decision.configVersion
        event.weightVersion = decision.weightVersion
        event.decisionTime = decision.time
        event.userID = decision.userID
        return decision.items
    }

    /// The engagement value (required, within ``InputLimits/maximumValue``); 0 for other types,
    /// which may not carry one.
    private static func value(of input: EventInput, type: EventType) throws(ArmoryError) -> Double {
        guard type == .engagement else {
            guard input.value == nil else {
                throw ArmoryError.event(.invalidValue, "value is only for engagement events, not \(type.rawValue)")
            }
            return 0
        }
        guard let value = input.value else {
            throw ArmoryError.event(.missingField, "an engagement event needs a value")
        }
        guard value.isFinite, (0...InputLimits.maximumValue).contains(value) else {
            throw ArmoryError.event(.invalidValue, "value must be a number from 0 to \(format(InputLimits.maximumValue)), not \(value)")
        }
        return value
    }

    /// `value` without an exponent when it is a whole number.
    private static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    /// A click must be on a movie the decision served, at its position when one is given.
    private static func check(click movie: Int, position: Int?, against items: [Int]) throws(ArmoryError) {
        guard let index = items.firstIndex(of: movie) else {
            throw ArmoryError.event(.notServed, "movie_id \(movie) was not in the decision's list "
                + "(\(items.prefix(10).map(String.init).joined(separator: ", "))\(items.count > 10 ? ", …" : ""))")
        }
        if let position, position != index {
            throw ArmoryError.event(.notServed, "position \(position) does not hold movie_id \(movie) in the decision's list: "
                + (items.indices.contains(position) ? "it holds \(items[position]); " : "the list has \(items.count) movies; ")
                + "movie \(movie) is at position \(index)")
        }
    }
}
