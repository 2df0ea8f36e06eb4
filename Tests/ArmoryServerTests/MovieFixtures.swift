import ArmoryCore
import ArmoryKit
import Foundation

/// A catalog of eight movies and five users small enough to rank by hand. "Now" is
/// 2026-11-25 12:00 UTC; every event is a whole number of days before it.
enum MovieFixtures {
    static let now = Date(timeIntervalSince1970: 1_795_608_000)  // 2026-11-25T12:00:00Z

    static let movies = [
        Movie(id: 1, title: "Alien", genres: ["sci-fi", "horror"], year: 1979),
        Movie(id: 2, title: "Heat", genres: ["crime", "drama"], year: 1995),
        Movie(id: 3, title: "Up", genres: ["animation", "family"], year: 2009),
        Movie(id: 4, title: "Arrival", genres: ["sci-fi", "drama"], year: 2016),
        Movie(id: 5, title: "Fargo", genres: ["crime", "comedy"], year: 1996),
        Movie(id: 6, title: "Coco", genres: ["animation", "family"], year: 2017),
        Movie(id: 7, title: "Moon", genres: ["sci-fi"], year: 2009),
        Movie(id: 8, title: "Jaws", genres: ["horror", "thriller"], year: 1975),
    ]

    static func daysAgo(_ days: Double) -> Date {
        now.addingTimeInterval(-days * 86_400)
    }

    /// (movie, days ago) per user.
    static let views: [String: [(Int, Double)]] = [
        "u1": [(1, 1), (4, 2), (2, 40)],
        "u2": [(1, 3), (7, 3), (8, 10)],
        "u3": [(4, 1), (7, 2), (6, 5)],
        "u4": [(2, 1), (5, 1), (1, 20)],
        "u5": [(3, 6), (6, 6), (1, 2)],
    ]
    static let likes: [String: [(Int, Double)]] = [
        "u1": [(4, 2)],
    ]

    static func dataSource() -> InMemoryDataSource {
        func events(_ table: [String: [(Int, Double)]]) -> [String: [HistoryEvent]] {
            table.mapValues { $0.map { HistoryEvent(movieID: $0.0, time: daysAgo($0.1)) } }
        }
        return InMemoryDataSource(catalog: movies, views: events(views), likes: events(likes))
    }

    static func request(_ user: String, limit: Int = 5, exclusions: Set<Int> = []) -> RecommendationRequest {
        RecommendationRequest(userID: user, limit: limit, exclusions: exclusions, time: now)
    }
}
