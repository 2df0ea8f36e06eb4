import Foundation

/// The views and likes a trainer learns from, as compact arrays: users and movies are numbered
/// (a user's number is its index in ``userIDs``, a movie's its index in the catalog's
/// ``MovieCatalog/movies``), so a trainer builds its matrices without hashing strings.
public struct TrainingData: Sendable {
    /// One view or like.
    public struct Interaction: Sendable, Hashable {
        /// The user's number (index in ``TrainingData/userIDs``).
        public var user: Int32
        /// The movie's index in the catalog.
        public var movie: Int32
        /// Whether it is a like (otherwise a view).
        public var isLike: Bool
        /// When it happened.
        public var time: Date

        /// Creates an interaction.
        public init(user: Int32, movie: Int32, isLike: Bool, time: Date) {
            self.user = user
            self.movie = movie
            self.isLike = isLike
            self.time = time
        }
    }

    /// The movies.
    public let catalog: MovieCatalog
    /// The users, by number.
    public let userIDs: [String]
    /// Every view and like, in no particular order.
    public let interactions: [Interaction]

    /// Creates training data; every interaction's user and movie must be a valid number.
    public init(catalog: MovieCatalog, userIDs: [String], interactions: [Interaction]) {
        self.catalog = catalog
        self.userIDs = userIDs
        self.interactions = interactions
    }
}
