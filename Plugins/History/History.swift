import ArmoryKit
import Foundation

/// Movies the user has not seen, in the genres they viewed and liked lately.
///
/// Each genre's affinity is the number of the user's views in it within `lookback_days`, plus
/// `like_boost` for each like. A movie scores the sum of its genres' affinities divided by the
/// total affinity, so a movie in the user's favourite genres scores highest.
public struct History: RecommendationAlgorithm {
    public static let descriptor = AlgorithmDescriptor(
        name: "history",
        version: "1.0.0",
        summary: "Unseen movies in the genres the user viewed and liked, likes weighted up",
        parameters: [
            ParameterSpec(name: "like_boost", type: .number, defaultValue: .number(2), minimum: 0, maximum: 100,
                          summary: "How much a like counts, where a view counts 1"),
            ParameterSpec(name: "lookback_days", type: .integer, defaultValue: .integer(90), minimum: 1, maximum: 3_650,
                          summary: "How many days of history shape the user's tastes"),
        ]
    )

    let likeBoost: Double
    let lookback: TimeInterval

    public init(parameters: Parameters) throws {
        likeBoost = try parameters.number("like_boost")
        lookback = TimeInterval(try parameters.integer("lookback_days")) * 86_400
    }

    public func recommend(_ request: RecommendationRequest, data: any DataSource) async throws -> [ScoredItem] {
        let history = try await data.history(of: request.userID, since: nil)
        let catalog = try await data.catalog()
        let since = request.time.addingTimeInterval(-lookback)

        var affinity = [Double](repeating: 0, count: catalog.genres.count)
        func add(_ events: [HistoryEvent], weight: Double) {
            for event in events where event.time >= since {
                guard let index = catalog.index(of: event.movieID) else { continue }
                for genre in catalog.genreNumbers[index] { affinity[genre] += weight }
            }
        }
        add(history.views, weight: 1)
        add(history.likes, weight: likeBoost)
        let total = affinity.reduce(0, +)
        guard total > 0 else {
            return try await data.filled([], to: request.limit, excluding: request.exclusions)
        }

        let skipped = catalog.flags(marking: history.views.lazy.map(\.movieID) + history.likes.lazy.map(\.movieID) + request.exclusions)
        // Movies with the same genres score the same: score each genre list once (through the
        // lists of the user's genres only), then visit the movies of the lists from the best
        // down, until no list left can place a movie.
        var listScores = [Double](repeating: 0, count: catalog.genreLists.count)
        var scored: [Int] = []
        for genre in affinity.indices where affinity[genre] > 0 {
            // Summed in the list's own genre order, once (a list holds a positive genre: its
            // score is above 0 once summed).
            for number in catalog.genreListsByGenre[genre] where listScores[number] == 0 {
                for listed in catalog.genreLists[number] { listScores[number] += affinity[listed] }
                scored.append(number)
            }
        }
        // Taken best first from a heap: the top list usually fills from a few lists, and
        // sorting them all cost more than the rest of the call.
        var ranked = ListHeap(scores: listScores, lists: scored)
        var best = TopItems(limit: request.limit)
        while let number = ranked.popBest() {
            let score = listScores[number] / total
            // Lower lists cannot enter a full top list; equal ones still can, by smaller id.
            if best.items.count == best.limit, let last = best.items.last, last.score > score { break }
            for index in catalog.moviesByGenreList[number] where !skipped[index] {
                best.insert(movieID: catalog.movies[index].id, score: score)
            }
        }
        guard best.items.count < request.limit else { return best.items }
        return try await data.filled(best.items, to: request.limit, excluding: request.exclusions.union(history.seenMovieIDs))
    }
}

/// Genre lists handed out best first: a binary max-heap of list numbers.
struct ListHeap {
    private let scores: [Double]
    private var numbers: [Int]

    /// A heap of `lists`, ordered by their `scores`.
    init(scores: [Double], lists: [Int]) {
        self.scores = scores
        numbers = lists
        for index in stride(from: numbers.count / 2 - 1, through: 0, by: -1) { siftDown(index) }
    }

    /// The best list left (ties in any order), or `nil` when none is.
    mutating func popBest() -> Int? {
        guard let best = numbers.first else { return nil }
        numbers[0] = numbers[numbers.count - 1]
        numbers.removeLast()
        if !numbers.isEmpty { siftDown(0) }
        return best
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            var largest = parent
            let left = 2 * parent + 1
            if left < numbers.count, scores[numbers[left]] > scores[numbers[largest]] { largest = left }
            if left + 1 < numbers.count, scores[numbers[left + 1]] > scores[numbers[largest]] { largest = left + 1 }
            if largest == parent { return }
            numbers.swapAt(parent, largest)
            parent = largest
        }
    }
}

@_cdecl("armory_module_entry")
public func armoryModuleEntry(hostABIVersion: UInt32, registrar: UnsafeMutableRawPointer) -> UInt32 {
    ArmoryModule.export([History.self], hostABIVersion: hostABIVersion, registrar: registrar)
}
