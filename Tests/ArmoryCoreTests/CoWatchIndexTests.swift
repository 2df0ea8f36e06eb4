import ArmoryCore
import ArmoryKit
import Foundation
import Testing

@Suite("The co-watch index: each movie's most co-watched movies, counted once per user")
struct CoWatchIndexTests {
    /// Random watches (seeded): `users` users watching a long tail of movie ids drawn from
    /// `movieIDs`, some pairs repeated (a view and a like of the same movie).
    static func watches(users: Int, movieIDs: [Int], perUser: ClosedRange<Int>, seed: UInt64) -> (Watches, [String: Set<Int>]) {
        var generator = Xoshiro256StarStar(seed: seed)
        var watches = Watches()
        var seen: [String: Set<Int>] = [:]
        for user in 0..<users {
            let id = "user-\(user)"
            let count = perUser.lowerBound + Int(generator.next(upperBound: UInt64(perUser.count)))
            for _ in 0..<count {
                // Squared uniform: low indexes (popular movies) come up far more often, so many
                // movies tie and the tie-break by id matters.
                let pick = generator.nextUniform()
                let movie = movieIDs[min(movieIDs.count - 1, Int(pick * pick * Double(movieIDs.count)))]
                let time = Date(timeIntervalSince1970: 1_795_608_000 - generator.nextUniform() * 86_400)
                watches.append(movieID: movie, userID: id, time: time, isLike: false)
                seen[id, default: []].insert(movie)
                if generator.nextUniform() < 0.2 { watches.append(movieID: movie, userID: id, time: time, isLike: true) }
            }
        }
        return (watches, seen)
    }

    /// The list for `movie` computed the slow, obvious way: for every other movie, the users who
    /// watched both, then sorted by count (descending) and id.
    static func bruteForce(_ movie: Int, _ seen: [String: Set<Int>]) -> [MovieCount] {
        var counts: [Int: Int] = [:]
        for movies in seen.values where movies.contains(movie) {
            for other in movies where other != movie { counts[other, default: 0] += 1 }
        }
        return counts.map { MovieCount(movieID: $0.key, count: $0.value) }
            .sorted { $0.count != $1.count ? $0.count > $1.count : $0.movieID < $1.movieID }
    }

    @Test("every movie's list equals the brute-force count, cut at the list length, ties by id",
          arguments: [(1 ... 300).map { $0 }, (1 ... 300).map { $0 * 50_000 }])
    func matchesBruteForce(movieIDs: [Int]) throws {
        // The second set of ids spans 15 million: numbered through a dictionary, not a table.
        let (watches, seen) = Self.watches(users: 400, movieIDs: movieIDs, perUser: 1 ... 40, seed: 7)
        for length in [1, 7, 50, 400] {
            let index = try CoWatchIndex(watches, listLength: length)
            #expect(index.movieCount == Set(watches.movieIDs).count)
            for movie in movieIDs {
                let expected = Array(Self.bruteForce(movie, seen).prefix(length))
                #expect(index.neighbours(of: movie, limit: length) == expected, "movie \(movie), list length \(length)")
                #expect(index.neighbours(of: movie, limit: 3) == Array(expected.prefix(3)))
            }
        }
    }

    @Test("a movie nobody else's users watched has an empty list; an unknown movie has none")
    func emptyLists() throws {
        var watches = Watches()
        let now = Date()
        watches.append(movieID: 5, userID: "ana", time: now, isLike: false)
        watches.append(movieID: 5, userID: "bo", time: now, isLike: false)
        watches.append(movieID: 9, userID: "cy", time: now, isLike: false)
        watches.append(movieID: 10, userID: "cy", time: now, isLike: true)
        let index = try CoWatchIndex(watches)
        #expect(index.neighbours(of: 5, limit: 10) == [])
        #expect(index.neighbours(of: 9, limit: 10) == [MovieCount(movieID: 10, count: 1)])
        #expect(index.neighbours(of: 42, limit: 10) == [])
        #expect(index.neighbours(of: 9, limit: 0) == [])
        #expect(try CoWatchIndex(Watches()).movieCount == 0)
    }

    @Test("a build asked to stop throws instead of finishing")
    func cancellation() {
        let (watches, _) = Self.watches(users: 50, movieIDs: Array(1 ... 200), perUser: 1 ... 10, seed: 3)
        #expect(throws: CancellationError.self) {
            try CoWatchIndex(watches) { true }
        }
    }
}
