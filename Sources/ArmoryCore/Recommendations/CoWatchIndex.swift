import ArmoryKit
import Foundation

/// Every view and like: who watched what, when. Users are numbered in the order they first
/// appear. ``CoWatchIndex`` counts each (movie, user) pair once, however many events it has;
/// ``newestHistories(users:limit:)`` gives what a server warms its history cache with.
public struct Watches: Sendable {
    /// The movie of each event.
    public private(set) var movieIDs: [Int] = []
    /// The user of each event (same index), numbered `0..<userCount`.
    public private(set) var users: [UInt32] = []
    /// When each event happened, as `Date.timeIntervalSinceReferenceDate` (its own
    /// representation, so the dates made back from it are equal to the ones given).
    public private(set) var times: [Double] = []
    /// Whether each event is a like (otherwise a view).
    public private(set) var isLike: [Bool] = []
    /// Each user's id, by number.
    public private(set) var userIDs: [String] = []
    private var userNumbers: [String: UInt32] = [:]

    /// No events.
    public init() {}

    /// Adds an event: `userID` viewed (or liked) `movieID` at `time`.
    public mutating func append(movieID: Int, userID: String, time: Date, isLike: Bool) {
        let number = userNumbers[userID] ?? UInt32(userNumbers.count)
        if number == userNumbers.count {
            userNumbers[userID] = number
            userIDs.append(userID)
        }
        movieIDs.append(movieID)
        users.append(number)
        times.append(time.timeIntervalSinceReferenceDate)
        self.isLike.append(isLike)
    }

    /// How many events.
    public var count: Int { movieIDs.count }

    /// How many distinct users.
    public var userCount: Int { userNumbers.count }
}

/// For every movie, the movies most often watched (viewed or liked) by the same users, with how
/// many such users each has: the answer to `DataSource.coWatchedMovies`, computed for the whole
/// catalog at once so that a request reads a list instead of joining the views table.
///
/// For each movie, the movies of each of its users are tallied in a counter array the size of
/// the catalog, so the whole build visits each user's movie list once per movie of theirs (the
/// sum over users of their movie count squared): a background job's work, not a request's. Each
/// list keeps its first ``listLength`` movies, most co-watched first, ties broken by the smaller
/// movie id. The loops run over raw buffers with counting sorts instead of comparison sorts, so
/// that a debug build (the one `swift run armory serve` starts) builds in seconds too.
public struct CoWatchIndex: Sendable {
    /// How many co-watched movies are kept per movie.
    public let listLength: Int
    /// The movies with a list, ascending; a movie's position here is its number.
    private let movieIDs: [Int]
    /// Movie number `m`'s list is `neighbours[starts[m]..<starts[m + 1]]`.
    private let starts: [Int]
    /// Neighbour movie numbers and their counts, list after list.
    private let neighbours: [Int32]
    private let counts: [Int32]

    /// An index with no lists.
    public init(listLength: Int = 200) {
        self.listLength = listLength
        movieIDs = []
        starts = [0]
        neighbours = []
        counts = []
    }

    /// Builds the lists of every movie in `watches`. `isCancelled` is asked every few dozen
    /// movies, so a build running when the server shuts down ends promptly (throwing
    /// `CancellationError`).
    public init(_ watches: Watches, listLength: Int = 200, isCancelled: () -> Bool = { false }) throws {
        self.listLength = max(1, listLength)
        let graph = WatchGraph(watches)
        var builder = ListBuilder(movies: graph.movieIDs.count, listLength: self.listLength)
        for movie in 0..<graph.movieIDs.count {
            if movie % 64 == 0, isCancelled() { throw CancellationError() }
            builder.appendList(of: movie, in: graph)
        }
        movieIDs = graph.movieIDs
        starts = builder.starts
        neighbours = builder.neighbours
        counts = builder.counts
    }

    /// The movies most co-watched with `movieID`, at most `limit` (and at most ``listLength``).
    public func neighbours(of movieID: Int, limit: Int) -> [MovieCount] {
        guard let movie = number(of: movieID), limit > 0 else { return [] }
        let range = starts[movie]..<min(starts[movie + 1], starts[movie] + limit)
        return range.map { MovieCount(movieID: movieIDs[Int(neighbours[$0])], count: Int(counts[$0])) }
    }

    /// How many movies have a list.
    public var movieCount: Int { movieIDs.count }

    private func number(of movieID: Int) -> Int? {
        var low = 0
        var high = movieIDs.count
        while low < high {
            let middle = (low + high) / 2
            if movieIDs[middle] < movieID { low = middle + 1 } else { high = middle }
        }
        return low < movieIDs.count && movieIDs[low] == movieID ? low : nil
    }
}
