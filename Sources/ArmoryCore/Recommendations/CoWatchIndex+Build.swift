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

/// Tallies each movie's co-watched movies and appends its list, movie after movie, into flat
/// arrays. Ranking is a counting sort: a histogram of the tallies gives the cut-off tally and
/// where each tally's movies go, and one pass over the tallied movies in ascending order (a
/// bitmap) places them, so ties fall in movie order with no comparison sort.
struct ListBuilder {
    let listLength: Int
    private(set) var starts: [Int] = [0]
    private(set) var neighbours: [Int32] = []
    private(set) var counts: [Int32] = []
    private var tally: [Int32]
    /// One bit per movie with a tally above zero.
    private var tallied: [UInt64]
    /// Per tally value: how many movies have it, then where the next of them goes.
    private var histogram: [Int] = [0]

    init(movies: Int, listLength: Int) {
        self.listLength = listLength
        tally = [Int32](repeating: 0, count: movies)
        tallied = [UInt64](repeating: 0, count: (movies + 63) / 64)
        starts.reserveCapacity(movies + 1)
    }

    /// Appends `movie`'s list from `graph`.
    mutating func appendList(of movie: Int, in graph: WatchGraph) {
        let highest = tally.withUnsafeMutableBufferPointer { tally in
            tallied.withUnsafeMutableBufferPointer { tallied in
                graph.tallyCoWatched(with: movie, tally: tally.baseAddress!, tallied: tallied.baseAddress!)
            }
        }
        if highest > 0 { appendTallied(highest: Int(highest)) }
        starts.append(neighbours.count)
    }

    /// Ranks the tallied movies into the list, and clears the tallies for the next movie.
    private mutating func appendTallied(highest: Int) {
        if histogram.count <= highest { histogram = [Int](repeating: 0, count: highest + 1) }
        for movie in talliedMovies() { histogram[Int(tally[movie])] += 1 }
        // The cut-off: every movie above it is kept, and `room` of those at it.
        var cutOff = highest
        var above = 0
        while cutOff > 1, above + histogram[cutOff] < listLength {
            above += histogram[cutOff]
            cutOff -= 1
        }
        var room = min(histogram[cutOff], listLength - above)
        // Where each kept tally value's movies start, highest first.
        var next = neighbours.count
        for value in stride(from: highest, through: cutOff, by: -1) {
            let movies = histogram[value]
            histogram[value] = next
            next += movies
        }
        neighbours += repeatElement(0, count: above + room)
        counts += repeatElement(0, count: above + room)
        for movie in talliedMovies() {
            let value = Int(tally[movie])
            tally[movie] = 0
            guard value > cutOff || (value == cutOff && room > 0) else { continue }
            if value == cutOff { room -= 1 }
            neighbours[histogram[value]] = Int32(movie)
            counts[histogram[value]] = Int32(value)
            histogram[value] += 1
        }
        for word in 0..<tallied.count { tallied[word] = 0 }
        for value in 0...highest { histogram[value] = 0 }
    }

    /// The tallied movies, ascending, read off the bitmap a word at a time.
    private func talliedMovies() -> [Int] {
        var movies: [Int] = []
        for word in 0..<tallied.count {
            var bits = tallied[word]
            while bits != 0 {
                movies.append(word << 6 | bits.trailingZeroBitCount)
                bits &= bits &- 1
            }
        }
        return movies
    }
}
