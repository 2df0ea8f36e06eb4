import ArmoryCore
import Foundation

/// Loads ``DemoData`` into a ``StateStore``: the catalog, then users' views and likes in
/// batches (one statement or transaction per batch), reporting progress as it goes.
public struct DemoSeeder: Sendable {
    /// What a seed wrote and how long it took.
    public struct Summary: Sendable, Codable {
        /// Movies written.
        public var movies: Int
        /// Users written.
        public var users: Int
        /// Views written.
        public var views: Int
        /// Likes written.
        public var likes: Int
        /// Wall-clock seconds.
        public var seconds: Double
        /// All rows written per second.
        public var rowsPerSecond: Double { Double(movies + views + likes) / max(seconds, 1e-9) }
    }

    /// The data to load.
    public var data: DemoData
    /// Users per batch.
    public var usersPerBatch: Int

    /// A seeder for `data`.
    public init(data: DemoData, usersPerBatch: Int = 250) {
        self.data = data
        self.usersPerBatch = max(1, usersPerBatch)
    }

    /// Writes everything into `store`; `progress` is called after each batch with the users
    /// written so far.
    public func seed(into store: any StateStore, progress: @Sendable (Int) -> Void = { _ in }) async throws -> Summary {
        let clock = ContinuousClock()
        let start = clock.now
        try await store.saveMovies(data.movies)
        var summary = Summary(movies: data.movies.count, users: 0, views: 0, likes: 0, seconds: 0)
        var next = 0
        while next < data.userCount {
            let end = min(data.userCount, next + usersPerBatch)
            var views: [UserEvent] = []
            var likes: [UserEvent] = []
            for index in next..<end {
                let user = data.user(index)
                views += user.views.map { UserEvent(userID: user.id, movieID: $0.movieID, time: $0.time) }
                likes += user.likes.map { UserEvent(userID: user.id, movieID: $0.movieID, time: $0.time) }
            }
            try await store.appendViews(views)
            try await store.appendLikes(likes)
            summary.views += views.count
            summary.likes += likes.count
            summary.users = end
            next = end
            progress(end)
        }
        let elapsed = (clock.now - start).components
        summary.seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18
        return summary
    }
}
