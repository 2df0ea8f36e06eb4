import ArmoryKit
import Foundation

/// Views and likes cut at a moment: what happened before it trains (and is what an algorithm may
/// read), what happened from it on is held out. A user is scored when they have a history
/// before the cut and, after it, watched a movie they had not watched before it; the held-out
/// movies are those.
public struct TimeSplit: Sendable {
    /// The cut: events before it train, events at or after it are held out.
    public let cut: Date
    /// The events before the cut, as a trainer reads them.
    public let training: TrainingData
    /// Each scored user's held-out movies, by user id, in user-id order.
    public let heldOut: [(userID: String, movies: Set<Int>)]
    /// The training events as a ``DataSource`` reads them, the request time being the cut.
    public let data: InMemoryDataSource

    /// Splits `watches` at `cut`.
    public init(watches: Watches, catalog: MovieCatalog, cut: Date) {
        self.cut = cut
        let cutTime = cut.timeIntervalSinceReferenceDate
        var views: [String: [HistoryEvent]] = [:]
        var likes: [String: [HistoryEvent]] = [:]
        var later: [String: Set<Int>] = [:]
        for event in 0..<watches.count {
            let user = watches.userIDs[Int(watches.users[event])]
            let movie = watches.movieIDs[event]
            if watches.times[event] >= cutTime {
                later[user, default: []].insert(movie)
            } else {
                let item = HistoryEvent(movieID: movie, time: Date(timeIntervalSinceReferenceDate: watches.times[event]))
                if watches.isLike[event] { likes[user, default: []].append(item) } else { views[user, default: []].append(item) }
            }
        }
        var heldOut: [(userID: String, movies: Set<Int>)] = []
        for (user, movies) in later where views[user] != nil || likes[user] != nil {
            let before = Set((views[user] ?? []).map(\.movieID)).union((likes[user] ?? []).map(\.movieID))
            let new = movies.subtracting(before).filter { catalog.index(of: $0) != nil }
            if !new.isEmpty { heldOut.append((user, new)) }
        }
        self.heldOut = heldOut.sorted { $0.userID < $1.userID }
        training = TrainingData(watches: watches, catalog: catalog, before: cut)
        data = InMemoryDataSource(catalog: catalog.movies, views: views, likes: likes)
    }

    /// The cut that holds out the newest `fraction` of `watches`' events (0 < fraction < 1):
    /// the time of the first held-out event.
    public static func cut(holdingOut fraction: Double, of watches: Watches) -> Date? {
        guard watches.count > 1, fraction > 0, fraction < 1 else { return nil }
        let times = watches.times.sorted()
        let index = min(times.count - 1, max(1, Int((Double(times.count) * (1 - fraction)).rounded())))
        return Date(timeIntervalSinceReferenceDate: times[index])
    }
}

extension TrainingData {
    /// The views and likes in `watches` (before `cut`, when given) of movies in `catalog`, with
    /// users numbered in the order they first appear.
    public init(watches: Watches, catalog: MovieCatalog, before cut: Date? = nil) {
        let cutTime = cut?.timeIntervalSinceReferenceDate ?? .infinity
        var numbers = [Int32](repeating: -1, count: watches.userCount)
        var userIDs: [String] = []
        var interactions: [Interaction] = []
        interactions.reserveCapacity(watches.count)
        for event in 0..<watches.count where watches.times[event] < cutTime {
            guard let movie = catalog.index(of: watches.movieIDs[event]) else { continue }
            let user = Int(watches.users[event])
            if numbers[user] < 0 {
                numbers[user] = Int32(userIDs.count)
                userIDs.append(watches.userIDs[user])
            }
            interactions.append(Interaction(
                user: numbers[user], movie: Int32(movie), isLike: watches.isLike[event],
                time: Date(timeIntervalSinceReferenceDate: watches.times[event])
            ))
        }
        self.init(catalog: catalog, userIDs: userIDs, interactions: interactions)
    }
}
