@testable import ArmoryCore
import Testing

@Suite("Assignment: GrowthBook v2 hashing and bucket ranges")
struct AssignmentTests {
    /// 112 vectors from an independent JavaScript implementation (Fixtures/make-hash-vectors.js),
    /// including accents, CJK, emoji with surrogate pairs and ZWJ sequences.
    @Test("bucket matches the JavaScript reference", arguments: Fixtures.hashVectors)
    func bucketMatchesReference(vector: Fixtures.HashVector) {
        #expect(FNV1a.hash(vector.seed + vector.unit) == vector.inner)
        #expect(assignmentBucket(seed: vector.seed, unit: vector.unit) == vector.bucket)
    }

    /// GrowthBook's published SDK test cases (cases.json, "hash" with version 2, and the
    /// buckets of its feature-rule cases), so compatibility does not rest on our own reading.
    @Test("bucket matches GrowthBook's published cases", arguments: [
        ("seed", "a", 0.0505), ("seed", "b", 0.2696), ("foo", "ab", 0.2575), ("foo", "def", 0.2019),
        ("89123klj", "8952klfjas09ujkasdf", 0.124), ("90850943850283058242805", "123", 0.7516),
        ("()**(%$##$%#$#", "___)((*\":&", 0.0128), ("feature", "123", 0.5231), ("experiment", "1", 0.4413),
        ("holdout", "1", 0.8043),
    ])
    func bucketMatchesGrowthBook(seed: String, unit: String, expected: Double) {
        #expect(assignmentBucket(seed: seed, unit: unit) == expected)
    }

    @Test("combineDecimal spells numbers as String(_:) does", arguments: [UInt32(0), 7, 10, 99, 100, 1_000_000, 4_294_967_295])
    func decimalDigits(number: UInt32) {
        var direct = FNV1a()
        direct.combine(String(number))
        var digits = FNV1a()
        digits.combineDecimal(number)
        #expect(direct.value == digits.value)
    }

    /// GrowthBook's getBucketRange cases: arm i owns [start_i, start_i + coverage · w_i).
    @Test("ranges follow weights and coverage")
    func rangesFollowWeightsAndCoverage() {
        let reduced = Assigner(seed: "s", weights: [0.2, 0.3, 0.5], coverage: 0.2)
        #expect(reduced.arm(forBucket: 0) == .arm(0))
        #expect(reduced.arm(forBucket: 0.0399) == .arm(0))
        // 0.2 · 0.2 is 0.04000000000000001 in binary floating point, in JavaScript as here, so
        // GrowthBook's own SDK also puts bucket 0.04 in arm 0; the first bucket outside is 0.0401.
        #expect(reduced.arm(forBucket: 0.04) == .arm(0))
        #expect(reduced.arm(forBucket: 0.0401) == .fallback)
        #expect(reduced.arm(forBucket: 0.2) == .arm(1))
        #expect(reduced.arm(forBucket: 0.2599) == .arm(1))
        #expect(reduced.arm(forBucket: 0.26) == .fallback)
        #expect(reduced.arm(forBucket: 0.5999) == .arm(2))
        #expect(reduced.arm(forBucket: 0.6) == .fallback)

        let even = Assigner(seed: "s", weights: [0.5, 0.5])
        #expect(even.arm(forBucket: 0.4999) == .arm(0))
        #expect(even.arm(forBucket: 0.5) == .arm(1))
        #expect(even.arm(forBucket: 0.9999) == .arm(1))

        let none = Assigner(seed: "s", weights: [0.5, 0.5], coverage: 0)
        #expect(none.arm(forBucket: 0) == .fallback)
        #expect(none.arm(forBucket: 0.5) == .fallback)
    }

    @Test("same unit and same weights give the same arm; the split follows the weights")
    func deterministicAndBalanced() {
        let assigner = Assigner(seed: "homepage-rail", weights: [0.2, 0.3, 0.5])
        let again = Assigner(seed: "homepage-rail", weights: [0.2, 0.3, 0.5])
        var counts = [0, 0, 0]
        for user in 0..<100_000 {
            let unit = "user-\(user)"
            let assignment = assigner.assign(unit)
            #expect(assignment == again.assign(unit))
            guard case .arm(let index) = assignment else {
                Issue.record("full coverage must never fall back")
                return
            }
            counts[index] += 1
        }
        // Binomial standard deviation at n = 100000 is at most 158; allow 5 sd.
        for (count, weight) in zip(counts, [0.2, 0.3, 0.5]) {
            #expect(abs(Double(count) - 100_000 * weight) < 5 * 158)
        }
        // And the split is not skewed: the chi-square test against the weights does not reject.
        let srm = SampleRatioMismatch(observed: counts, weights: [0.2, 0.3, 0.5])
        #expect(srm!.pValue > 0.001)
    }

    @Test("a different seed reshuffles units")
    func seedReshuffles() {
        let first = Assigner(seed: "one", weights: [0.5, 0.5])
        let second = Assigner(seed: "two", weights: [0.5, 0.5])
        let moved = (0..<1_000).filter { first.assign("u\($0)") != second.assign("u\($0)") }.count
        #expect(moved > 400 && moved < 600)
    }
}
