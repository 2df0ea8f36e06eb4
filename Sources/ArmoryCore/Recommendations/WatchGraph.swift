/// The watches as two adjacency lists in compressed form (CSR): each movie's distinct users,
/// and each user's movies in ascending order; movies numbered by ascending id. Built with
/// counting passes only.
struct WatchGraph {
    /// The movies, ascending; a movie's number is its index here.
    let movieIDs: [Int]
    private let movieStarts: [Int]
    private let movieUsers: [Int32]
    private let userStarts: [Int]
    private let userMovies: [Int32]

    init(_ watches: Watches) {
        let (movieIDs, movieOf) = Self.numberMovies(watches.movieIDs)
        self.movieIDs = movieIDs
        let userCount = watches.userCount
        // Users bucketed by movie (repeats included), then each bucket without repeats.
        let bucketStarts = Self.starts(of: movieOf, buckets: movieIDs.count)
        var bucketed = [Int32](repeating: 0, count: movieOf.count)
        var fill = bucketStarts
        for pair in 0..<movieOf.count {
            let movie = Int(movieOf[pair])
            bucketed[fill[movie]] = Int32(watches.users[pair])
            fill[movie] += 1
        }
        var movieStarts = [Int](repeating: 0, count: movieIDs.count + 1)
        var movieUsers: [Int32] = []
        movieUsers.reserveCapacity(bucketed.count)
        var lastMovie = [Int32](repeating: -1, count: userCount)
        for movie in 0..<movieIDs.count {
            var index = bucketStarts[movie]
            while index < bucketStarts[movie + 1] {
                let user = Int(bucketed[index])
                if lastMovie[user] != Int32(movie) {
                    lastMovie[user] = Int32(movie)
                    movieUsers.append(Int32(user))
                }
                index += 1
            }
            movieStarts[movie + 1] = movieUsers.count
        }
        // Each user's movies, in ascending order because movies are visited in order.
        let userStarts = Self.starts(of: movieUsers, buckets: userCount)
        var userMovies = [Int32](repeating: 0, count: movieUsers.count)
        fill = userStarts
        for movie in 0..<movieIDs.count {
            var index = movieStarts[movie]
            while index < movieStarts[movie + 1] {
                let user = Int(movieUsers[index])
                userMovies[fill[user]] = Int32(movie)
                fill[user] += 1
                index += 1
            }
        }
        self.movieStarts = movieStarts
        self.movieUsers = movieUsers
        self.userStarts = userStarts
        self.userMovies = userMovies
    }

    /// Adds one to `tally` for every movie each user of `movie` watched (but `movie`), setting
    /// the bit in `tallied` of each movie whose tally leaves zero; returns the highest tally.
    func tallyCoWatched(with movie: Int, tally: UnsafeMutablePointer<Int32>, tallied: UnsafeMutablePointer<UInt64>) -> Int32 {
        movieUsers.withUnsafeBufferPointer { movieUsers in
            userMovies.withUnsafeBufferPointer { userMovies in
                userStarts.withUnsafeBufferPointer { userStarts in
                    let users = movieUsers.baseAddress!, movies = userMovies.baseAddress!, starts = userStarts.baseAddress!
                    let own = Int32(movie)
                    var highest: Int32 = 0
                    var index = movieStarts[movie]
                    let end = movieStarts[movie + 1]
                    while index < end {
                        let user = Int(users[index])
                        var position = starts[user]
                        let last = starts[user + 1]
                        while position < last {
                            let other = Int(movies[position])
                            if other != own {
                                if tally[other] == 0 { tallied[other >> 6] |= 1 << UInt64(other & 63) }
                                tally[other] &+= 1
                                if tally[other] > highest { highest = tally[other] }
                            }
                            position &+= 1
                        }
                        index &+= 1
                    }
                    return highest
                }
            }
        }
    }

    /// The distinct ids ascending, and each id's number: through a table when the ids span a
    /// range a few times the catalog's size (the usual case), otherwise a dictionary.
    private static func numberMovies(_ ids: [Int]) -> ([Int], [Int32]) {
        guard let low = ids.min(), let high = ids.max() else { return ([], []) }
        let span = high - low + 1
        if span <= 4_000_000 {
            var numberByOffset = [Int32](repeating: -1, count: span)
            for id in ids { numberByOffset[id - low] = 0 }
            var distinct: [Int] = []
            for offset in 0..<span where numberByOffset[offset] == 0 {
                numberByOffset[offset] = Int32(distinct.count)
                distinct.append(low + offset)
            }
            return (distinct, ids.map { numberByOffset[$0 - low] })
        }
        let distinct = Array(Set(ids)).sorted()
        let numberOf = Dictionary(uniqueKeysWithValues: distinct.enumerated().map { ($1, Int32($0)) })
        return (distinct, ids.map { numberOf[$0]! })
    }

    /// Where each bucket starts when `keys` (each in `0..<buckets`) are grouped by bucket.
    private static func starts(of keys: [Int32], buckets: Int) -> [Int] {
        var starts = [Int](repeating: 0, count: buckets + 1)
        for key in keys { starts[Int(key) + 1] += 1 }
        for bucket in 0..<buckets { starts[bucket + 1] += starts[bucket] }
        return starts
    }
}
