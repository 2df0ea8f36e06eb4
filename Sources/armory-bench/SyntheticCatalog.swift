import ArmoryCore
import ArmoryKit
import Foundation

/// A synthetic catalog for benchmarks: movies with 1–3 of 18 genres and a long-tail
/// popularity, users with a taste for a few genres, and one heavy user.
struct SyntheticCatalog {
    var movies: Int
    var users: Int
    var viewsPerUser: Int
    var heavyUserViews: Int
    var now: Date

    static let genres = ["action", "adventure", "animation", "comedy", "crime", "documentary", "drama", "family", "fantasy",
                         "history", "horror", "music", "mystery", "romance", "sci-fi", "thriller", "war", "western"]

    func dataSource() -> InMemoryDataSource {
        var generator = Xoshiro256StarStar(seed: 2026)
        let catalog = (1...movies).map { id in
            let count = 1 + Int(generator.nextUniform() * 3)
            let genres = (0..<count).map { _ in Self.genres[Int(generator.nextUniform() * Double(Self.genres.count))] }
            return Movie(id: id, title: "Movie \(id)", genres: Array(Set(genres)).sorted(), year: 1950 + Int(generator.nextUniform() * 76))
        }
        func popularMovie() -> Int { zipfMovie(&generator) }
        var views: [String: [HistoryEvent]] = [:]
        for user in 0..<users {
            views["user-\(user)"] = (0..<viewsPerUser).map { _ in
                HistoryEvent(movieID: popularMovie(), time: now.addingTimeInterval(-generator.nextUniform() * 30 * 86_400))
            }
        }
        views["heavy"] = (0..<heavyUserViews).map { _ in
            HistoryEvent(movieID: popularMovie(), time: now.addingTimeInterval(-generator.nextUniform() * 120 * 86_400))
        }
        return InMemoryDataSource(catalog: catalog, views: views)
    }

    /// A movie of the long tail: movie i is picked with weight ∝ 1/i (a Zipf law), by
    /// inverting its CDF (H(n) ≈ ln n + γ).
    func zipfMovie(_ generator: inout Xoshiro256StarStar) -> Int {
        let harmonic = log(Double(movies)) + 0.5772
        return min(movies, max(1, Int(exp(generator.nextUniform() * harmonic - 0.5772))))
    }
}
