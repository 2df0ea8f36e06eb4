import ArmoryCore
import ArmoryKit
import Foundation
import Testing

/// The offline metrics against cases computed by hand, the bootstrap against what it must give
/// for samples with a known answer, and the time split against a small history read by eye.
struct OfflineEvaluationTests {
    @Test func metricsMatchHandComputedCases() {
        // Held out {1, 2, 3}; list [1, 9, 3, 8]; k = 4: hits at positions 0 and 2.
        let metrics = RankingMetrics(ranked: [1, 9, 3, 8], relevant: [1, 2, 3], k: 4)
        #expect(abs(metrics.recall - 2.0 / 3.0) < 1e-12)
        // DCG = 1/log2(2) + 1/log2(4) = 1.5; IDCG (3 hits) = 1 + 1/log2(3) + 1/2.
        #expect(abs(metrics.ndcg - 1.5 / (1 + 1 / log2(3.0) + 0.5)) < 1e-12)
        // AP = (1/1 + 2/3) / min(4, 3).
        #expect(abs(metrics.averagePrecision - (1 + 2.0 / 3.0) / 3) < 1e-12)
    }

    @Test func metricsNormaliseByTheCutOff() {
        // Five held out, k = 2, both listed movies hit: a perfect list at k = 2.
        let perfect = RankingMetrics(ranked: [5, 4, 7], relevant: [1, 2, 3, 4, 5], k: 2)
        #expect(perfect.recall == 1 && abs(perfect.ndcg - 1) < 1e-12 && abs(perfect.averagePrecision - 1) < 1e-12)
        // Movies past k do not count.
        let late = RankingMetrics(ranked: [9, 8, 1], relevant: [1], k: 2)
        #expect(late.recall == 0 && late.ndcg == 0 && late.averagePrecision == 0)
        #expect(RankingMetrics(ranked: [1], relevant: [], k: 10).recall == 0)
    }

    @Test func bootstrapOfAConstantIsThatConstant() {
        let estimate = Bootstrap(resamples: 200, seed: 3).mean([Double](repeating: 0.25, count: 50))
        #expect(estimate == Estimate(value: 0.25, lower: 0.25, upper: 0.25))
    }

    @Test func bootstrapIntervalMatchesTheNormalApproximation() {
        // 0/1 outcomes, 3000 users, 30% ones: the mean's standard error is sqrt(.3 × .7 / 3000);
        // the percentile interval's half-width should be 1.96 of those within 10% (seed 7, 2000 resamples).
        let values = (0..<3_000).map { $0 % 10 < 3 ? 1.0 : 0.0 }
        let estimate = Bootstrap(resamples: 2_000, seed: 7).mean(values)
        let expected = 1.96 * (0.3 * 0.7 / 3_000).squareRoot()
        #expect(abs(estimate.value - 0.3) < 1e-12)
        #expect(abs((estimate.upper - estimate.lower) / 2 - expected) / expected < 0.1)
        #expect(estimate.lower < 0.3 && 0.3 < estimate.upper)
    }

    @Test func coverageCountsDistinctMoviesAndItsIntervalHoldsTheValue() {
        let lists: [[Int32]] = (0..<400).map { [Int32($0 % 40), Int32(40 + $0 % 7)] }
        let estimate = Bootstrap(resamples: 500, seed: 1).coverage(lists, catalogSize: 100)
        #expect(estimate.value == 0.47)
        // Every resample covers nearly all 47 (each movie is in at least 10 of the 400 lists).
        #expect(estimate.lower <= 0.47 + 1e-12 && 0.47 - 1e-12 <= estimate.upper && estimate.upper - estimate.lower < 0.02)
    }

    @Test func timeSplitHoldsOutNewMoviesOfUsersWithAHistory() {
        let catalog = MovieCatalog((1...6).map { Movie(id: $0, title: "m\($0)", genres: ["drama"], year: 2000) })
        var watches = Watches()
        let day = { (n: Double) in Date(timeIntervalSince1970: 1_700_000_000 + n * 86_400) }
        watches.append(movieID: 1, userID: "a", time: day(0), isLike: false)
        watches.append(movieID: 2, userID: "a", time: day(1), isLike: true)
        watches.append(movieID: 3, userID: "a", time: day(5), isLike: false)   // held out
        watches.append(movieID: 1, userID: "a", time: day(6), isLike: false)   // seen before: not held out
        watches.append(movieID: 4, userID: "b", time: day(6), isLike: false)   // no history before the cut: not scored
        watches.append(movieID: 5, userID: "c", time: day(2), isLike: false)
        let split = TimeSplit(watches: watches, catalog: catalog, cut: day(4))
        #expect(split.heldOut.map(\.userID) == ["a"])
        #expect(split.heldOut.first?.movies == [3])
        #expect(split.training.interactions.count == 3)
        #expect(Set(split.training.userIDs) == ["a", "c"])
        // Holding out a third of six events cuts at the fifth event in time order.
        #expect(TimeSplit.cut(holdingOut: 1.0 / 3, of: watches) == day(6))
    }
}
