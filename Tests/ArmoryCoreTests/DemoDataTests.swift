@testable import ArmoryCore
import ArmoryKit
import Foundation
import Testing

@Suite("Demo data: reproducible, long-tailed, and shaped by each user's tastes")
struct DemoDataTests {
    static let now = Date(timeIntervalSince1970: 1_795_608_000)

    @Test("the same seed gives the same catalog and users; another seed does not")
    func reproducible() {
        let first = DemoData(movies: 300, users: 50, seed: 42, now: Self.now)
        let again = DemoData(movies: 300, users: 50, seed: 42, now: Self.now)
        let other = DemoData(movies: 300, users: 50, seed: 43, now: Self.now)
        #expect(first.movies == again.movies)
        #expect(first.movies != other.movies)
        #expect(first.user(17).views == again.user(17).views && first.user(17).likes == again.user(17).likes)
        #expect(first.user(17).views != other.user(17).views)
        // A user does not depend on how many users come before or after it.
        #expect(DemoData(movies: 300, users: 5_000, seed: 42, now: Self.now).user(17).views == first.user(17).views)
    }

    @Test("movies have unique titles, 1–3 distinct genres and years 1950–2025")
    func catalog() {
        let data = DemoData(movies: 2_000, users: 0, seed: 1, now: Self.now)
        #expect(data.movies.map(\.id) == Array(1...2_000))
        #expect(Set(data.movies.map(\.title)).count == 2_000)
        #expect(data.movies.allSatisfy { (1...3).contains($0.genres.count) && Set($0.genres).count == $0.genres.count })
        #expect(data.movies.allSatisfy { (1950...2025).contains($0.year) && $0.genres.allSatisfy(DemoData.genres.contains) })
    }

    @Test("views follow tastes and a long tail; activity is log-normal around 60 (seed 3, 2,000 users)")
    func audience() {
        let data = DemoData(movies: 5_000, users: 2_000, seed: 3, now: Self.now)
        var viewCounts: [Int] = []
        var favouriteViews = 0
        var totalViews = 0
        var likes = 0
        var viewsByMovie: [Int: Int] = [:]
        for index in 0..<data.userCount {
            let user = data.user(index)
            let favourites = Set(user.favouriteGenres.map { DemoData.genres[$0] })
            viewCounts.append(user.views.count)
            totalViews += user.views.count
            likes += user.likes.count
            favouriteViews += user.views.filter { !favourites.isDisjoint(with: data.movies[$0.movieID - 1].genres) }.count
            for view in user.views { viewsByMovie[view.movieID, default: 0] += 1 }
            #expect(Set(user.views.map(\.movieID)).count == user.views.count, "no movie twice")
            #expect(user.views.allSatisfy { $0.time <= Self.now && $0.time >= Self.now.addingTimeInterval(-180 * 86_400) })
            #expect(Set(user.likes.map(\.movieID)).isSubset(of: user.views.map(\.movieID)))
        }
        viewCounts.sort()
        // log-normal(ln 60, 0.8): median 60; the sample median of 2,000 lies within ±8% with room to spare.
        #expect(abs(Double(viewCounts[1_000]) - 60) < 5)
        // Three views in four come from a favourite genre, plus the overall draws that happen to land in one.
        let share = Double(favouriteViews) / Double(totalViews)
        #expect(share > 0.75 && share < 0.9, "\(share)")
        // About 0.75 · 0.2 + 0.25 · 0.05 = 16% of views are liked.
        let likeRate = Double(likes) / Double(totalViews)
        #expect(abs(likeRate - 0.1625) < 0.01, "\(likeRate)")
        // Long tail: the top 1% of movies get far more than 1% of views.
        let top = viewsByMovie.values.sorted(by: >).prefix(50).reduce(0, +)
        #expect(Double(top) / Double(totalViews) > 0.1)
    }
}
