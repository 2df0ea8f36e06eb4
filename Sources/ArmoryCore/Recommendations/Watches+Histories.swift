import ArmoryKit
import Foundation

extension Watches {
    /// The histories of the `users` most recently active users (by their newest event): each
    /// one's newest `limit` views and newest `limit` likes, newest first, ties by the smaller
    /// movie id, as a state store answers a history read.
    public func newestHistories(users wanted: Int, limit: Int) -> [(userID: String, history: UserHistory)] {
        // Each user's events, grouped by a counting pass.
        var starts = [Int](repeating: 0, count: userCount + 1)
        for user in users { starts[Int(user) + 1] += 1 }
        for user in 0..<userCount { starts[user + 1] += starts[user] }
        var byUser = [Int](repeating: 0, count: count)
        var fill = starts
        var newest = [Double](repeating: -.infinity, count: userCount)
        for event in 0..<count {
            let user = Int(users[event])
            byUser[fill[user]] = event
            fill[user] += 1
            newest[user] = max(newest[user], times[event])
        }
        let recent = (0..<userCount).sorted { newest[$0] != newest[$1] ? newest[$0] > newest[$1] : $0 < $1 }.prefix(max(0, wanted))
        return recent.map { user in
            let events = byUser[starts[user]..<starts[user + 1]].sorted {
                times[$0] != times[$1] ? times[$0] > times[$1] : movieIDs[$0] < movieIDs[$1]
            }
            var history = UserHistory()
            for event in events {
                let item = HistoryEvent(movieID: movieIDs[event], time: Date(timeIntervalSinceReferenceDate: times[event]))
                if isLike[event] {
                    if history.likes.count < limit { history.likes.append(item) }
                } else if history.views.count < limit {
                    history.views.append(item)
                }
            }
            return (userIDs[user], history)
        }
    }
}
