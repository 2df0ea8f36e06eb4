import ArmoryCore
import Testing

@Suite("DemoAudience: the simulated users of demo traffic")
struct DemoAudienceTests {
    static let audience = DemoAudience(data: DemoData(movies: 500, users: 200, seed: 3))

    @Test("clicks happen as often as the closed form 1 − ∏(1 − pᵢ) says (50,000 draws per list, seed 11, within 4 s.e.)")
    func clickThrough() {
        let audience = Self.audience
        var generator = Xoshiro256StarStar(seed: 11)
        for user in [0, 17, 99] {
            // A list of the user's own genres' movies first, then one of movies outside them.
            let favourites = (1...500).filter { audience.fit(movieID: $0, userIndex: user) == 1 }.prefix(10)
            let others = (1...500).filter { audience.fit(movieID: $0, userIndex: user) == 0 }.prefix(10)
            for list in [Array(favourites), Array(others)] {
                let expected = audience.expectedClickThrough(items: list, userIndex: user)
                let draws = 50_000
                var clicked = 0
                for _ in 0..<draws where audience.react(to: list, userIndex: user, using: &generator).click != nil {
                    clicked += 1
                }
                let observed = Double(clicked) / Double(draws)
                let standardError = (expected * (1 - expected) / Double(draws)).squareRoot()
                #expect(abs(observed - expected) < 4 * standardError, "user \(user): \(observed) vs \(expected)")
            }
            // Lists that fit a user's tastes earn more clicks: what lets the better algorithm win.
            #expect(audience.expectedClickThrough(items: Array(favourites), userIndex: user)
                > 2 * audience.expectedClickThrough(items: Array(others), userIndex: user))
        }
    }

    @Test("attention falls down the list, and fit is the share of a movie's genres the user favours")
    func shape() {
        let audience = Self.audience
        let data = audience.data
        let user = data.user(5)
        let movie = data.movies[0]
        let favourites = Set(user.favouriteGenres.map { DemoData.genres[$0] })
        #expect(audience.fit(movieID: movie.id, userIndex: 5) == Double(movie.genres.filter(favourites.contains).count) / Double(movie.genres.count))
        #expect(audience.clickProbability(movieID: 1, position: 0, userIndex: 5) > audience.clickProbability(movieID: 1, position: 3, userIndex: 5))
        #expect(audience.fit(movieID: 9_999, userIndex: 5) == 0)
    }
}
