import ArmoryCore
import Foundation

/// Loads ``DemoData`` into a ``StateStore``: users' views and likes in batches (one statement
/// or transaction per batch), reporting progress as it goes, then the catalog. The catalog goes
/// in last, so a seed stopped midway leaves a store with no catalog, which the server seeds
/// again from scratch (``isPartial(_:)``) rather than serving half the users.
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

    /// Users per batch unless told otherwise.
    public static let defaultUsersPerBatch = 250

    /// A seeder for `data`.
    public init(data: DemoData, usersPerBatch: Int = defaultUsersPerBatch) {
        self.data = data
        self.usersPerBatch = max(1, usersPerBatch)
    }

    /// Whether `counts` are those of a seed stopped before its end: views or likes, no catalog.
    public static func isPartial(_ counts: StateCounts) -> Bool {
        counts.movies == 0 && counts.views + counts.likes > 0
    }

    /// Writes everything into `store`; `progress` is called after each batch with the users
    /// written so far. Stops between batches when its task is cancelled.
    public func seed(into store: any StateStore, progress: @Sendable (Int) -> Void = { _ in }) async throws -> Summary {
        let clock = ContinuousClock()
        let start = clock.now
        var summary = try await store.withBulkLoad { try await appendActivity(into: store, progress: progress) }
        try await store.saveMovies(data.movies)
        let elapsed = (clock.now - start).components
        summary.seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18
        return summary
    }

    /// Appends every user's views and likes, batch after batch.
    private func appendActivity(into store: any StateStore, progress: @Sendable (Int) -> Void) async throws -> Summary {
        var summary = Summary(movies: data.movies.count, users: 0, views: 0, likes: 0, seconds: 0)
        var next = 0
        while next < data.userCount {
            try Task.checkCancellation()
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
        return summary
    }
}
