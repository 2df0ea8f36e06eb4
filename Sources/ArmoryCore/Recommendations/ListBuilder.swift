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
