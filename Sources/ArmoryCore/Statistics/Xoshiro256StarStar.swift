import ArmoryKit

/// xoshiro256** (Blackman and Vigna, 2018): the fast, seeded generator behind every random
/// draw Armory makes (Thompson sampling, Monte Carlo checks, the simulator).
///
/// Never `SystemRandomNumberGenerator`: results must be reproducible from the seed that a
/// ``WeightVersion`` records, and the hot path must not make system calls.
public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable {
    // Internal (not private) so the generator inlines into callers in other modules.
    @usableFromInline var s0: UInt64
    @usableFromInline var s1: UInt64
    @usableFromInline var s2: UInt64
    @usableFromInline var s3: UInt64

    /// Creates a generator whose sequence is fixed by `seed` (expanded with ``SplitMix64``).
    public init(seed: UInt64) {
        var expander = SplitMix64(seed: seed)
        s0 = expander.next()
        s1 = expander.next()
        s2 = expander.next()
        s3 = expander.next()
    }

    /// The next 64 random bits.
    @inlinable
    public mutating func next() -> UInt64 {
        let result = rotateLeft(s1 &* 5, by: 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotateLeft(s3, by: 45)
        return result
    }

    /// A uniform double in [0, 1) with 53 random bits.
    @inlinable
    public mutating func nextUniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform double in (0, 1], safe to take the logarithm of.
    @inlinable
    public mutating func nextOpenUniform() -> Double {
        (Double(next() >> 11) + 1) * 0x1.0p-53
    }

    @usableFromInline
    func rotateLeft(_ x: UInt64, by k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }
}
