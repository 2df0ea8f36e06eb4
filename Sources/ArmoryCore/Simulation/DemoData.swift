import ArmoryKit
import Foundation

/// A synthetic but realistic movie catalog and audience, reproducible from a seed: the demo
/// data `armory demo seed` loads, and the tastes the traffic simulator clicks by.
///
/// Movies have 1–3 of 18 genres, a year and a long-tail popularity (movie rank r is chosen with
/// weight ∝ 1/r). Each user has 2–3 favourite genres and an activity level (log-normal, median
/// 60 views); three views in four come from a favourite genre. A user likes about one view in
/// five from a favourite genre and one in twenty otherwise. Every draw comes from xoshiro256**
/// seeded per movie list and per user, so user *i* is the same whatever the batch size.
public struct DemoData: Sendable {
    /// The 18 genres.
    public static let genres = [
        "action", "adventure", "animation", "comedy", "crime", "documentary", "drama", "family", "fantasy",
        "history", "horror", "music", "mystery", "romance", "sci-fi", "thriller", "war", "western",
    ]

    /// One user's history and tastes.
    public struct User: Sendable {
        /// `user-<index>`.
        public var id: String
        /// Indexes into ``DemoData/genres``.
        public var favouriteGenres: [Int]
        /// Views, oldest first.
        public var views: [HistoryEvent]
        /// Likes, oldest first.
        public var likes: [HistoryEvent]
    }

    /// How many movies.
    public let movieCount: Int
    /// How many users.
    public let userCount: Int
    /// The seed everything is drawn from.
    public let seed: UInt64
    /// The end of the history: events fall in the 180 days before it.
    public let now: Date
    /// The catalog, by id 1…movieCount; id order is popularity order (1 is the most popular).
    public let movies: [Movie]
    /// For each genre, its movies' ids in popularity order.
    private let moviesByGenre: [[Int]]

    /// The catalog for `movies` movies and the audience of `users` users, drawn from `seed`.
    public init(movies movieCount: Int = 5_000, users userCount: Int = 10_000, seed: UInt64 = 1, now: Date = Date()) {
        precondition(movieCount >= 1 && userCount >= 0, "a demo catalog needs at least one movie")
        self.movieCount = movieCount
        self.userCount = userCount
        self.seed = seed
        self.now = now
        var generator = Xoshiro256StarStar(seed: seed)
        var titles = Set<String>()
        var movies: [Movie] = []
        var byGenre = [[Int]](repeating: [], count: Self.genres.count)
        for id in 1...movieCount {
            var genreIndexes: [Int] = []
            let count = 1 + Int(generator.nextUniform() * 3)
            while genreIndexes.count < count {
                let genre = Int(generator.nextUniform() * Double(Self.genres.count))
                if !genreIndexes.contains(genre) { genreIndexes.append(genre) }
            }
            genreIndexes.sort()
            for genre in genreIndexes { byGenre[genre].append(id) }
            var title = Self.title(using: &generator)
            var sequel = 2
            while !titles.insert(title).inserted {
                title = "\(Self.title(using: &generator)) \(sequel)"
                sequel += 1
            }
            let year = 1950 + Int(generator.nextUniform() * 76)
            movies.append(Movie(id: id, title: title, genres: genreIndexes.map { Self.genres[$0] }, year: year))
        }
        self.movies = movies
        moviesByGenre = byGenre
    }

    /// User `index` (0 ..< userCount), drawn from its own seeded generator.
    public func user(_ index: Int) -> User {
        var generator = Xoshiro256StarStar(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(index) &+ 1)
        var favourites: [Int] = []
        let favouriteCount = 2 + Int(generator.nextUniform() * 2)
        while favourites.count < favouriteCount {
            let genre = Int(generator.nextUniform() * Double(Self.genres.count))
            if !favourites.contains(genre), !moviesByGenre[genre].isEmpty { favourites.append(genre) }
            if favourites.isEmpty && moviesByGenre.allSatisfy(\.isEmpty) { break }
        }
        // Log-normal activity: median 60 views, mean about 83, at most the catalog.
        let activity = exp(log(60) + 0.8 * generator.nextNormal())
        let viewCount = min(movieCount, max(1, Int(activity.rounded())))
        var seen = Set<Int>()
        var views: [HistoryEvent] = []
        var likes: [HistoryEvent] = []
        var attempts = 0
        while views.count < viewCount && attempts < viewCount * 20 {
            attempts += 1
            let fromFavourite = !favourites.isEmpty && generator.nextUniform() < 0.75
            let pool = fromFavourite ? moviesByGenre[favourites[Int(generator.nextUniform() * Double(favourites.count))]] : nil
            let movie = pool.map { $0[Self.zipfIndex(count: $0.count, using: &generator)] }
                ?? (Self.zipfIndex(count: movieCount, using: &generator) + 1)
            guard seen.insert(movie).inserted else { continue }
            let time = now.addingTimeInterval(-generator.nextUniform() * 180 * 86_400)
            views.append(HistoryEvent(movieID: movie, time: time))
            if generator.nextUniform() < (fromFavourite ? 0.2 : 0.05) {
                likes.append(HistoryEvent(movieID: movie, time: time.addingTimeInterval(60 + generator.nextUniform() * 7_200)))
            }
        }
        views.sort { $0.time < $1.time }
        likes.sort { $0.time < $1.time }
        return User(id: "user-\(index)", favouriteGenres: favourites, views: views, likes: likes)
    }

    /// An index in 0..<count, chosen with weight ∝ 1/(index + 1), by inverting the harmonic sum
    /// (H(n) ≈ ln n + γ).
    static func zipfIndex(count: Int, using generator: inout Xoshiro256StarStar) -> Int {
        let total = log(Double(count)) + 0.577_215_664_9
        let rank = exp(generator.nextUniform() * total - 0.577_215_664_9)
        return min(count - 1, max(0, Int(rank) - 1))
    }

    private static let adjectives = [
        "Silent", "Crimson", "Last", "Hidden", "Broken", "Golden", "Midnight", "Wild", "Frozen", "Lost", "Electric", "Burning",
        "Distant", "Secret", "Savage", "Quiet", "Endless", "Iron", "Paper", "Velvet", "Hollow", "Northern", "Bright", "Forgotten",
    ]
    private static let nouns = [
        "River", "Empire", "Garden", "Signal", "Harbor", "Kingdom", "Stranger", "Horizon", "Mirror", "Machine", "Orchard", "Voyage",
        "Witness", "Frontier", "Lantern", "Circus", "Summer", "Citadel", "Orbit", "Station", "Letter", "Desert", "Tide", "Crown",
    ]

    private static func title(using generator: inout Xoshiro256StarStar) -> String {
        let adjective = adjectives[Int(generator.nextUniform() * Double(adjectives.count))]
        let noun = nouns[Int(generator.nextUniform() * Double(nouns.count))]
        return generator.nextUniform() < 0.5 ? "The \(adjective) \(noun)" : "\(adjective) \(noun)"
    }
}
