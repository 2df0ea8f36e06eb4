import ArmoryCore
import ArmoryKit
import Foundation
import Testing

/// Each built-in module's answer on ``MovieFixtures``, against rankings worked out by hand
/// (the arithmetic is in the comments).
@Suite("Built-in modules rank the hand-made catalog as worked out by hand")
struct BuiltInModuleTests {
    let data = MovieFixtures.dataSource()

    func ids(_ name: String, _ parameters: [String: ParameterValue] = [:], _ request: RecommendationRequest) async throws -> [Int] {
        try await BuiltModules.algorithm(name, parameters).recommend(request, data: data).map(\.movieID)
    }

    @Test("popularity: views in the last 7 days, ties by id")
    func popularity() async throws {
        // Views within 7 days: Alien 3 (u1, u2, u5); Arrival, Coco, Moon 2 each; Heat, Up, Fargo 1 each.
        let items = try await BuiltModules.algorithm("popularity").recommend(MovieFixtures.request("u1"), data: data)
        #expect(items.map(\.movieID) == [1, 4, 6, 7, 2])
        #expect(items.map(\.score) == [3, 2, 2, 2, 1])
        // Excluding Alien and Coco moves the next ones up.
        #expect(try await ids("popularity", [:], MovieFixtures.request("u1", exclusions: [1, 6])) == [4, 7, 2, 3, 5])
    }

    @Test("popularity in one genre is topped up with all-time popular movies")
    func popularityByGenre() async throws {
        // Sci-fi in 7 days: Alien 3, Arrival 2, Moon 2. All time: Alien 4; Heat, Arrival, Coco, Moon 2; so Heat, Coco fill.
        let items = try await BuiltModules.algorithm("popularity", ["genre": .string("sci-fi")]).recommend(MovieFixtures.request("u9"), data: data)
        #expect(items.map(\.movieID) == [1, 4, 7, 2, 6])
        #expect(items.map(\.score) == [3, 2, 2, 0, 0])
        // A 30-day window takes in u4's 20-day-old view of Alien (4) and still not u1's 40-day-old Heat:
        // Arrival, Coco, Moon 2 each, Heat 1.
        let month = try await BuiltModules.algorithm("popularity", ["window_days": .integer(30)]).recommend(MovieFixtures.request("u9", limit: 2), data: data)
        #expect(month.map(\.movieID) == [1, 4] && month.map(\.score) == [4, 2])
    }

    @Test("history: unseen movies in the user's genres, likes boosted")
    func history() async throws {
        // u1 viewed Alien (sci-fi, horror), Arrival (sci-fi, drama), Heat (crime, drama), liked Arrival (×2):
        // sci-fi 1+1+2 = 4, horror 1, drama 1+1+2 = 4, crime 1; total 10.
        // Unseen: Moon (sci-fi) 0.4, Fargo (crime) 0.1, Jaws (horror) 0.1; Up and Coco score 0,
        // so the list is topped up with all-time popular unseen movies: Coco (2), Up (1).
        let items = try await BuiltModules.algorithm("history").recommend(MovieFixtures.request("u1"), data: data)
        #expect(items.map(\.movieID) == [7, 5, 8, 6, 3])
        #expect(zip(items.map(\.score), [0.4, 0.1, 0.1, 0, 0]).allSatisfy { abs($0 - $1) < 1e-12 })
    }

    @Test("history: lookback_days drops old views from the tastes, but not from what counts as seen")
    func historyLookback() async throws {
        // Within 30 days Heat is gone: sci-fi 4, horror 1, drama 3; total 8. Moon 4/8, Jaws 1/8, Fargo 0.
        // Heat stays excluded as seen; fill: Coco, Up, Fargo.
        let items = try await BuiltModules.algorithm("history", ["lookback_days": .integer(30)]).recommend(MovieFixtures.request("u1"), data: data)
        #expect(items.map(\.movieID) == [7, 8, 6, 3, 5])
        #expect(items.prefix(2).map(\.score) == [0.5, 0.125])
        // A like worth one view, over 90 days: sci-fi 1+1+1 = 3, horror 1, drama 1+1+1 = 3, crime 1; Moon 3/8.
        let flat = try await BuiltModules.algorithm("history", ["like_boost": .number(1)])
            .recommend(MovieFixtures.request("u1", limit: 1), data: data)
        #expect(flat.map(\.movieID) == [7] && abs(flat[0].score - 3.0 / 8.0) < 1e-12)
    }

    @Test("item-to-item: co-watched with the user's recent movies, liked ones doubled")
    func itemToItem() async throws {
        // u1's recent movies: Alien, Arrival (liked, ×2), Heat. Co-watching users:
        //   Alien → Heat 2; Arrival, Moon, Jaws, Fargo, Up, Coco 1 each
        //   Arrival (×2) → Alien, Heat, Moon, Coco 1 each → 2 each
        //   Heat → Alien 2; Arrival, Fargo 1 each
        // Unseen totals: Moon 1+2 = 3, Coco 1+2 = 3, Fargo 1+1 = 2, Up 1, Jaws 1.
        let items = try await BuiltModules.algorithm("item-to-item").recommend(MovieFixtures.request("u1"), data: data)
        #expect(items.map(\.movieID) == [6, 7, 5, 3, 8])
        #expect(items.map(\.score) == [3, 3, 2, 1, 1])
    }

    @Test("item-to-item: one neighbour per movie finds only seen movies here, so popularity fills the list")
    func itemToItemNeighbours() async throws {
        // Top neighbour: Alien → Heat (2); Arrival → Alien (ties at 1, smallest id); Heat → Alien (2). All seen.
        let items = try await BuiltModules.algorithm("item-to-item", ["neighbours": .integer(1)]).recommend(MovieFixtures.request("u1"), data: data)
        #expect(items.map(\.movieID) == [6, 7, 3, 5, 8])
        #expect(items.allSatisfy { $0.score == 0 })
    }

    @Test("every module answers a user with no history, never with an empty list", arguments: ["popularity", "history", "item-to-item", "random"])
    func newUser(name: String) async throws {
        let items = try await BuiltModules.algorithm(name).recommend(MovieFixtures.request("stranger", limit: 4, exclusions: [1]), data: data)
        #expect(items.count == 4)
        #expect(Set(items.map(\.movieID)).count == 4)
        #expect(!items.contains { $0.movieID == 1 })
        switch name {
        case "popularity":
            // The last 7 days without Alien: Arrival, Coco, Moon 2 each, then Heat 1.
            #expect(items.map(\.movieID) == [4, 6, 7, 2])
        case "history", "item-to-item":
            // Nothing to go on: all-time popularity without Alien, Heat, Arrival, Coco, Moon (2 each, by id).
            #expect(items.map(\.movieID) == [2, 4, 6, 7])
        default:
            break
        }
    }

    @Test("random: the same list for a user all day, another tomorrow; distinct picks, exclusions respected")
    func randomIsSeededByUserAndDay() async throws {
        let random = try BuiltModules.algorithm("random")
        let morning = RecommendationRequest(userID: "u1", limit: 8, time: MovieFixtures.now.addingTimeInterval(-11 * 3_600))
        let evening = RecommendationRequest(userID: "u1", limit: 8, time: MovieFixtures.now.addingTimeInterval(11 * 3_600))
        let first = try await random.recommend(morning, data: data).map(\.movieID)
        #expect(try await random.recommend(evening, data: data).map(\.movieID) == first)
        #expect(Set(first) == Set(1...8))
        // Over 30 days, the day changes the order at least once (8! orders; the chance of 30 repeats is nil).
        var orders: Set<[Int]> = []
        for day in 1...30 {
            let later = RecommendationRequest(userID: "u1", limit: 8, time: MovieFixtures.now.addingTimeInterval(Double(day) * 86_400))
            orders.insert(try await random.recommend(later, data: data).map(\.movieID))
        }
        #expect(orders.count > 1)
        let excluded = try await random.recommend(MovieFixtures.request("u1", limit: 10, exclusions: [2, 3]), data: data).map(\.movieID)
        #expect(Set(excluded) == Set([1, 4, 5, 6, 7, 8]))
    }

    @Test("random: each movie is the first pick for about 1/8 of 8,000 users (within 5 standard deviations)")
    func randomIsUniform() async throws {
        let random = try BuiltModules.algorithm("random")
        var counts: [Int: Int] = [:]
        for user in 0..<8_000 {
            let first = try await random.recommend(RecommendationRequest(userID: "user-\(user)", limit: 1, time: MovieFixtures.now), data: data)
            counts[first[0].movieID, default: 0] += 1
        }
        // Binomial(8000, 1/8): mean 1000, sd √(8000 · 1/8 · 7/8) ≈ 29.6.
        #expect(counts.count == 8)
        #expect(counts.values.allSatisfy { abs($0 - 1_000) < 148 }, "\(counts)")
    }

    @Test("history and item-to-item answer 200 demo users exactly as a plain scan of the whole catalog does (seed 3)")
    func scansAgree() async throws {
        let demo = DemoData(movies: 600, users: 200, seed: 3, now: Date(timeIntervalSince1970: 1_795_608_000))
        let users = (0..<demo.userCount).map(demo.user)
        let data = InMemoryDataSource(catalog: demo.movies, views: Dictionary(uniqueKeysWithValues: users.map { ($0.id, $0.views) }),
                                      likes: Dictionary(uniqueKeysWithValues: users.map { ($0.id, $0.likes) }))
        let catalog = try await data.catalog()
        let history = try BuiltModules.algorithm("history", ["like_boost": .number(1.5), "lookback_days": .integer(60)])
        let itemToItem = try BuiltModules.algorithm("item-to-item", ["neighbours": .integer(30)])
        for user in users {
            let request = RecommendationRequest(userID: user.id, limit: 8, time: demo.now)
            // History, the obvious way: every movie's genre affinities summed, ranked, seen ones out.
            let since = demo.now.addingTimeInterval(-60 * 86_400)
            var affinity: [String: Double] = [:]
            for view in user.views where view.time >= since { for genre in catalog.movie(id: view.movieID)!.genres { affinity[genre, default: 0] += 1 } }
            for like in user.likes where like.time >= since { for genre in catalog.movie(id: like.movieID)!.genres { affinity[genre, default: 0] += 1.5 } }
            let total = affinity.values.reduce(0, +)
            let seen = Set((user.views + user.likes).map(\.movieID))
            let expected = catalog.movies.compactMap { movie -> ScoredItem? in
                let score = movie.genres.reduce(0) { $0 + (affinity[$1] ?? 0) }
                return score > 0 && !seen.contains(movie.id) ? ScoredItem(movieID: movie.id, score: score / total) : nil
            }.sorted { $0.ranksBefore($1) }.prefix(8)
            let answer = try await history.recommend(request, data: data)
            #expect(answer.map(\.movieID) == expected.map(\.movieID), "\(user.id)")
            for (got, want) in zip(answer, expected) { #expect(abs(got.score - want.score) < 1e-12) }

            // Item-to-item, the obvious way: a dictionary of co-watch counts.
            let liked = Set(user.likes.map(\.movieID))
            var sources: [Int] = []
            for event in (user.views + user.likes).sorted(by: { $0.time != $1.time ? $0.time > $1.time : $0.movieID < $1.movieID })
            where sources.count < 20 && !sources.contains(event.movieID) { sources.append(event.movieID) }
            var scores: [Int: Double] = [:]
            for source in sources {
                for neighbour in try await data.coWatchedMovies(with: source, limit: 30) {
                    scores[neighbour.movieID, default: 0] += (liked.contains(source) ? 2 : 1) * Double(neighbour.count)
                }
            }
            let ranked = scores.filter { !seen.contains($0.key) }.map { ScoredItem(movieID: $0.key, score: $0.value) }
                .sorted { $0.ranksBefore($1) }.prefix(8)
            #expect(try await itemToItem.recommend(request, data: data).prefix(ranked.count) == ranked[...], "\(user.id)")
        }
    }
}
