import ArmoryCore

extension Array where Element == Event {
    /// The events of `type` (views or likes) as the history rows the state store keeps.
    public func userEvents(_ type: EventType) -> [UserEvent] {
        filter { $0.type == type }.map { UserEvent(userID: $0.userID, movieID: $0.movieID, time: $0.time) }
    }
}
