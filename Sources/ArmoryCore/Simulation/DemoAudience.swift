import ArmoryKit
import Foundation

/// How the demo's simulated users react to a served list, for `armory demo traffic`: they
/// look down the list and click the first movie that catches them (a cascade), convert
/// sometimes, and watch for a while. What catches a user is only the movie's fit with the
/// user's favourite genres (from ``DemoData``) and its position — nothing about which arm or
/// algorithm served the list, so the better algorithm wins on its merits.
public struct DemoAudience: Sendable {
    /// What a user did with one list.
    public struct Reaction: Sendable, Hashable {
        /// A click on a served movie.
        public struct Click: Sendable, Hashable {
            /// The movie.
            public var movieID: Int
            /// Its position in the list, from 0.
            public var position: Int
        }

        /// The click, when the user clicked.
        public var click: Click?
        /// Whether the click led to a conversion (the user started watching).
        public var converted: Bool
        /// Seconds watched (0 without a conversion).
        public var watchedSeconds: Double
    }

    /// The chance of clicking a perfectly fitting movie at the top of the list.
    public var topClickProbability = 0.12
    /// How fast attention falls down the list: position p (from 0) is seen with weight 1/(p+1)^decay.
    public var positionDecay = 0.6
    /// The share of the click chance a movie with no favourite genre keeps.
    public var baseAppeal = 0.15
    /// The chance that a click on a perfectly fitting movie converts.
    public var conversionProbability = 0.35

    /// The demo catalog and audience.
    public let data: DemoData
    private let favouritesByUser: [Set<Int>]
    private let genreIndexes: [String: Int]

    /// An audience for `data` (every user's tastes are computed once).
    public init(data: DemoData) {
        self.data = data
        favouritesByUser = (0..<data.userCount).map { Set(data.user($0).favouriteGenres) }
        genreIndexes = Dictionary(uniqueKeysWithValues: DemoData.genres.enumerated().map { ($1, $0) })
    }

    /// How well `movieID` fits user `userIndex`'s tastes: the share of its genres that are
    /// favourites, in [0, 1]; 0 for a movie not in the catalog.
    public func fit(movieID: Int, userIndex: Int) -> Double {
        guard movieID >= 1, movieID <= data.movies.count else { return 0 }
        let genres = data.movies[movieID - 1].genres
        guard !genres.isEmpty else { return 0 }
        let favourites = favouritesByUser[userIndex]
        return Double(genres.filter { genreIndexes[$0].map(favourites.contains) ?? false }.count) / Double(genres.count)
    }

    /// The chance that user `userIndex` clicks `movieID` at `position` when they look at it.
    public func clickProbability(movieID: Int, position: Int, userIndex: Int) -> Double {
        let appeal = baseAppeal + (1 - baseAppeal) * fit(movieID: movieID, userIndex: userIndex)
        return topClickProbability * appeal / pow(Double(position + 1), positionDecay)
    }

    /// The probability that user `userIndex` clicks something in `items`: 1 − ∏(1 − pᵢ).
    public func expectedClickThrough(items: [Int], userIndex: Int) -> Double {
        1 - items.enumerated().reduce(1.0) { $0 * (1 - clickProbability(movieID: $1.element, position: $1.offset, userIndex: userIndex)) }
    }

    /// What user `userIndex` does with `items`, drawn from `generator`.
    public func react(to items: [Int], userIndex: Int, using generator: inout Xoshiro256StarStar) -> Reaction {
        for (position, movie) in items.enumerated()
        where generator.nextUniform() < clickProbability(movieID: movie, position: position, userIndex: userIndex) {
            let fit = fit(movieID: movie, userIndex: userIndex)
            let converted = generator.nextUniform() < conversionProbability * (0.3 + 0.7 * fit)
            let watched = converted ? (600 + 5_400 * fit) * (0.5 + generator.nextUniform()) : 0
            return Reaction(click: .init(movieID: movie, position: position), converted: converted, watchedSeconds: watched)
        }
        return Reaction(click: nil, converted: false, watchedSeconds: 0)
    }
}
