import Foundation

/// What an algorithm module may read: the movie catalog, users' histories, popularity and
/// co-watching. The host implements it (over PostgreSQL, SQLite, Redis or memory) and decides
/// caching and timeouts; modules never see a database.
public protocol DataSource: Sendable {
    /// Every movie, with its genres.
    func catalog() async throws -> MovieCatalog

    /// The movies `userID` viewed and liked at or after `since` (all of them when `nil`),
    /// newest first. A user the host has never seen has an empty history. A host may keep only
    /// a user's newest few hundred views and likes (Armory's server keeps 500 of each).
    func history(of userID: String, since: Date?) async throws -> UserHistory

    /// The most viewed movies since `since` (all time when `nil`), in `genre` when given,
    /// most viewed first and ties broken by the smaller movie id.
    func popularMovies(genre: String?, since: Date?, limit: Int) async throws -> [MovieCount]

    /// The movies most often viewed or liked by the users who viewed or liked `movieID`, with
    /// how many such users each has, most first and ties broken by the smaller movie id. A host
    /// may keep only the first 200 of each list, and count from views up to some minutes old
    /// (Armory's server rebuilds the lists in the background).
    func coWatchedMovies(with movieID: Int, limit: Int) async throws -> [MovieCount]
}

/// A movie in the catalog.
public struct Movie: Sendable, Hashable, Codable {
    /// The movie's id.
    public var id: Int
    /// Its title.
    public var title: String
    /// One to three genres, lower-case (`drama`, `sci-fi`).
    public var genres: [String]
    /// The year it came out.
    public var year: Int

    /// Creates a movie.
    public init(id: Int, title: String, genres: [String], year: Int) {
        self.id = id
        self.title = title
        self.genres = genres
        self.year = year
    }
}

/// The whole catalog, with lookups by id and genre, built once and shared by every request.
public struct MovieCatalog: Sendable {
    /// Every movie, by ascending id.
    public let movies: [Movie]
    /// Every genre some movie has, sorted; a genre's number is its index here.
    public let genres: [String]
    /// For each movie in ``movies`` (same index), the numbers of its genres: lets an algorithm
    /// score a whole catalog by genre with array reads instead of string hashing.
    public let genreNumbers: [[Int]]
    /// The distinct genre lists among the movies (as in ``genreNumbers``). Movies with the same
    /// genres score the same in any score made of genres, so an algorithm can score each list
    /// once and look only at the movies of the best lists (a catalog has far fewer lists than
    /// movies).
    public let genreLists: [[Int]]
    /// For each genre list (same index as ``genreLists``), the indexes in ``movies`` of its
    /// movies, ascending (so by ascending id).
    public let moviesByGenreList: [[Int]]
    /// For each genre (same index as ``genres``), the numbers of the genre lists that hold it:
    /// a score made of a few genres touches only their lists.
    public let genreListsByGenre: [[Int]]
    private let indexByID: [Int: Int]
    /// When the ids are dense (a range at most a few times the catalog's size, as they usually
    /// are), each id's index at `id - smallestID`, -1 for none: an array read where the
    /// dictionary would hash the id, and modules look ids up on every request.
    private let indexByOffset: [Int32]
    private let smallestID: Int
    private let numberByGenre: [String: Int]

    /// Creates a catalog of `movies` (in any order; ids must be unique).
    public init(_ movies: [Movie]) {
        self.movies = movies.sorted { $0.id < $1.id }
        indexByID = Dictionary(self.movies.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        smallestID = self.movies.first?.id ?? 0
        let span = (self.movies.last?.id ?? 0) - smallestID + 1
        if !self.movies.isEmpty, span <= 4 * self.movies.count + 1_024, self.movies.count < Int(Int32.max) {
            var offsets = [Int32](repeating: -1, count: span)
            for (index, movie) in self.movies.enumerated().reversed() { offsets[movie.id - smallestID] = Int32(index) }
            indexByOffset = offsets
        } else {
            indexByOffset = []
        }
        genres = Set(movies.flatMap(\.genres)).sorted()
        let numbers = Dictionary(uniqueKeysWithValues: genres.enumerated().map { ($1, $0) })
        numberByGenre = numbers
        genreNumbers = self.movies.map { movie in movie.genres.compactMap { numbers[$0] } }
        var listNumbers: [[Int]: Int] = [:]
        var lists: [[Int]] = []
        var moviesByList: [[Int]] = []
        for (index, list) in genreNumbers.enumerated() {
            let number = listNumbers[list] ?? lists.count
            if number == lists.count {
                listNumbers[list] = number
                lists.append(list)
                moviesByList.append([])
            }
            moviesByList[number].append(index)
        }
        genreLists = lists
        moviesByGenreList = moviesByList
        var listsByGenre = [[Int]](repeating: [], count: genres.count)
        for (number, list) in lists.enumerated() {
            for genre in Set(list) { listsByGenre[genre].append(number) }
        }
        genreListsByGenre = listsByGenre
    }

    /// The index in ``movies`` of the movie with `id`, if the catalog has it.
    public func index(of id: Int) -> Int? {
        guard !indexByOffset.isEmpty else { return indexByID[id] }
        let offset = id &- smallestID
        guard offset >= 0, offset < indexByOffset.count, indexByOffset[offset] >= 0 else { return nil }
        return Int(indexByOffset[offset])
    }

    /// One flag per movie of ``movies`` (same index), set for the movies in `ids` (ids the
    /// catalog lacks are ignored): a set that a scan over the catalog reads with one array
    /// access per movie, where a `Set<Int>` would hash every id.
    public func flags(marking ids: some Sequence<Int>) -> [Bool] {
        var flags = [Bool](repeating: false, count: movies.count)
        for id in ids {
            if let index = index(of: id) { flags[index] = true }
        }
        return flags
    }

    /// The movie with `id`, if the catalog has it.
    public func movie(id: Int) -> Movie? {
        indexByID[id].map { movies[$0] }
    }

    /// The number of `genre` (its index in ``genres``), if some movie has it.
    public func number(ofGenre genre: String) -> Int? {
        numberByGenre[genre]
    }

    /// Whether the catalog has no movies.
    public var isEmpty: Bool { movies.isEmpty }
}

/// A user's views and likes, newest first.
public struct UserHistory: Sendable, Hashable {
    /// Movies the user viewed, newest first.
    public var views: [HistoryEvent]
    /// Movies the user liked, newest first.
    public var likes: [HistoryEvent]

    /// Creates a history.
    public init(views: [HistoryEvent] = [], likes: [HistoryEvent] = []) {
        self.views = views
        self.likes = likes
    }

    /// Whether the user has neither viewed nor liked anything.
    public var isEmpty: Bool { views.isEmpty && likes.isEmpty }

    /// Every movie the user viewed or liked.
    public var seenMovieIDs: Set<Int> {
        Set(views.map(\.movieID)).union(likes.map(\.movieID))
    }
}

/// One view or like.
public struct HistoryEvent: Sendable, Hashable, Codable {
    /// The movie.
    public var movieID: Int
    /// When it happened.
    public var time: Date

    /// Creates an event.
    public init(movieID: Int, time: Date) {
        self.movieID = movieID
        self.time = time
    }
}

/// A movie with a count (views, co-watching users).
public struct MovieCount: Sendable, Hashable, Codable {
    /// The movie.
    public var movieID: Int
    /// How many.
    public var count: Int

    /// Creates a count.
    public init(movieID: Int, count: Int) {
        self.movieID = movieID
        self.count = count
    }
}

extension DataSource {
    /// `items` topped up to `limit` with the most viewed movies of all time, then with the rest
    /// of the catalog by id, skipping `excluded` movies and any already in `items`; the added
    /// movies score 0. This is the answer every built-in module gives when it has too little to
    /// go on (a user with no history), so that a non-empty catalog never yields an empty list.
    public func filled(_ items: [ScoredItem], to limit: Int, excluding excluded: Set<Int>) async throws -> [ScoredItem] {
        guard items.count < limit else { return Array(items.prefix(limit)) }
        var result = items
        var taken = excluded.union(items.map(\.movieID))
        for popular in try await popularMovies(genre: nil, since: nil, limit: limit + taken.count) where result.count < limit {
            if taken.insert(popular.movieID).inserted {
                result.append(ScoredItem(movieID: popular.movieID, score: 0))
            }
        }
        if result.count < limit {
            for movie in try await catalog().movies where result.count < limit {
                if taken.insert(movie.id).inserted {
                    result.append(ScoredItem(movieID: movie.id, score: 0))
                }
            }
        }
        return result
    }
}
