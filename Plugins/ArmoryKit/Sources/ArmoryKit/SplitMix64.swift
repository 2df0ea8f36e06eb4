/// SplitMix64 (Steele, Lea and Flood, 2014): a tiny, fast, seeded generator.
///
/// The host expands seeds with it (into the state of its xoshiro256** generator), and modules
/// that need reproducible randomness use it directly: the same seed, the same sequence, on
/// every machine.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Creates a generator whose sequence is fixed by `seed`.
    public init(seed: UInt64) {
        state = seed
    }

    /// Creates a generator seeded by the 64-bit FNV-1a hash of `text`'s UTF-8 bytes, e.g.
    /// `SplitMix64(hashing: "\(userID)|2026-11-25")`.
    public init(hashing text: String) {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        state = hash
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
