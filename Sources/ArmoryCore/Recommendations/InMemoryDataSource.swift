import ArmoryKit
import Foundation
import Synchronization

/// A ``DataSource`` over a catalog and views and likes held in memory: what tests, benchmarks
/// and the traffic simulator hand to algorithm modules.
///
/// Popular lists and co-watched lists are computed on first use and cached (popular lists per
/// genre and hour of `since`), as the store-backed sources do, so repeated requests cost what
/// they cost in production.
public final class InMemoryDataSource: DataSource {
    private let movieCatalog: MovieCatalog
    private let viewsByUser: [String: [HistoryEvent]]
    private let likesByUser: [String: [HistoryEvent]]
    /// Every view, oldest first, for popularity over a window.
    private let viewsByTime: [(time: Date, movieID: Int)]
    /// The users who viewed or liked each movie, and each user's movies, for co-watching.
    private let usersByMovie: [Int: [String]]
    private let moviesByUser: [String: Set<Int>]
    private let popularCache = Mutex<[PopularKey: [MovieCount]]>([:])
    private let coWatchedCache = Mutex<[Int: [MovieCount]]>([:])

    private struct PopularKey: Hashable {
        var genre: String?
        var hour: Int?
    }

    /// Creates a source over `catalog` and users' `views` and `likes` (in any order).
    public init(catalog: [Movie], views: [String: [HistoryEvent]] = [:], likes: [String: [HistoryEvent]] = [:]) {
        movieCatalog = MovieCatalog(catalog)
        let newestFirst: ([HistoryEvent]) -> [HistoryEvent] = {
            $0.sorted { $0.time != $1.time ? $0.time > $1.time : $0.movieID < $1.movieID }
        }
        viewsByUser = views.mapValues(newestFirst)
        likesByUser = likes.mapValues(newestFirst)
        viewsByTime = views.values.flatMap { $0.map { (time: $0.time, movieID: $0.movieID) } }
            .sorted { $0.time != $1.time ? $0.time < $1.time : $0.movieID < $1.movieID }
        var moviesByUser: [String: Set<Int>] = [:]
        for (user, events) in views { moviesByUser[user, default: []].formUnion(events.map(\.movieID)) }
        for (user, events) in likes { moviesByUser[user, default: []].formUnion(events.map(\.movieID)) }
        var usersByMovie: [Int: [String]] = [:]
        for (user, movies) in moviesByUser.sorted(by: { $0.key < $1.key }) {
            for movie in movies { usersByMovie[movie, default: []].append(user) }
        }
        self.moviesByUser = moviesByUser
        self.usersByMovie = usersByMovie
    }

    public func catalog() async throws -> MovieCatalog {
        movieCatalog
    }

    public func history(of userID: String, since: Date?) async throws -> UserHistory {
        let keep: (HistoryEvent) -> Bool = { since == nil || $0.time >= since! }
        return UserHistory(
            views: (viewsByUser[userID] ?? []).filter(keep),
            likes: (likesByUser[userID] ?? []).filter(keep)
        )
    }

    public func popularMovies(genre: String?, since: Date?, limit: Int) async throws -> [MovieCount] {
        // Windows start on the hour, so one cached list serves a whole hour of requests.
        let hour = since.map { Int(($0.timeIntervalSince1970 / 3_600).rounded(.down)) }
        let key = PopularKey(genre: genre, hour: hour)
        if let cached = popularCache.withLock({ $0[key] }) {
            return Array(cached.prefix(limit))
        }
        let start = hour.map { Date(timeIntervalSince1970: Double($0) * 3_600) }
        let first = start.map { start in partitionPoint(viewsByTime) { $0.time >= start } } ?? 0
        var counts: [Int: Int] = [:]
        for view in viewsByTime[first...] {
            if let genre, movieCatalog.movie(id: view.movieID)?.genres.contains(genre) != true { continue }
            counts[view.movieID, default: 0] += 1
        }
        let ranked = Self.ranked(counts)
        popularCache.withLock { $0[key] = ranked }
        return Array(ranked.prefix(limit))
    }

    public func coWatchedMovies(with movieID: Int, limit: Int) async throws -> [MovieCount] {
        if let cached = coWatchedCache.withLock({ $0[movieID] }) {
            return Array(cached.prefix(limit))
        }
        var counts: [Int: Int] = [:]
        for user in usersByMovie[movieID] ?? [] {
            for other in moviesByUser[user] ?? [] where other != movieID {
                counts[other, default: 0] += 1
            }
        }
        let ranked = Self.ranked(counts)
        coWatchedCache.withLock { $0[movieID] = ranked }
        return Array(ranked.prefix(limit))
    }

    /// `counts` as a list, most first, ties broken by the smaller movie id.
    private static func ranked(_ counts: [Int: Int]) -> [MovieCount] {
        counts.map { MovieCount(movieID: $0.key, count: $0.value) }
            .sorted { $0.count != $1.count ? $0.count > $1.count : $0.movieID < $1.movieID }
    }

    /// The first index of `elements` (partitioned: false then true) where `isAfter` holds.
    private func partitionPoint<T>(_ elements: [T], _ isAfter: (T) -> Bool) -> Int {
        var low = 0
        var high = elements.count
        while low < high {
            let middle = (low + high) / 2
            if isAfter(elements[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
