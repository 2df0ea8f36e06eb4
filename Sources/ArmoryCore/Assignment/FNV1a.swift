/// 32-bit FNV-1a over UTF-16 code units, as GrowthBook's SDKs compute it (JavaScript's
/// `charCodeAt`), so that Armory and GrowthBook put the same unit in the same bucket.
public struct FNV1a: Sendable {
    /// The FNV offset basis.
    public static let offsetBasis: UInt32 = 0x811C_9DC5
    /// The FNV prime.
    public static let prime: UInt32 = 0x0100_0193

    @usableFromInline var state: UInt32 = offsetBasis

    /// The hash of everything combined so far.
    public var value: UInt32 { state }

    /// A hash at the offset basis.
    public init() {}

    /// Mixes in every UTF-16 code unit of `text`.
    ///
    /// Native strings are UTF-8 inside; decoding their bytes to UTF-16 here is several times
    /// faster than walking `String.UTF16View`, which re-finds scalar boundaries at every step.
    @inlinable
    public mutating func combine(_ text: String) {
        let isContiguous = text.utf8.withContiguousStorageIfAvailable { bytes in
            combine(utf8: bytes)
        } != nil
        if !isContiguous {
            for unit in text.utf16 {
                combine(unit: unit)
            }
        }
    }

    /// Mixes in the UTF-16 code units of valid UTF-8 `bytes` (as `String` guarantees).
    @inlinable
    mutating func combine(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        var index = 0
        let count = bytes.count
        while index < count {
            let lead = UInt32(bytes[index])
            if lead < 0x80 {
                state = (state ^ lead) &* Self.prime
                index += 1
                continue
            }
            let scalar: UInt32
            if lead < 0xE0 {
                scalar = (lead & 0x1F) << 6 | UInt32(bytes[index + 1] & 0x3F)
                index += 2
            } else if lead < 0xF0 {
                scalar = (lead & 0x0F) << 12 | UInt32(bytes[index + 1] & 0x3F) << 6 | UInt32(bytes[index + 2] & 0x3F)
                index += 3
            } else {
                scalar = (lead & 0x07) << 18 | UInt32(bytes[index + 1] & 0x3F) << 12
                    | UInt32(bytes[index + 2] & 0x3F) << 6 | UInt32(bytes[index + 3] & 0x3F)
                index += 4
            }
            if scalar < 0x1_0000 {
                state = (state ^ scalar) &* Self.prime
            } else {
                // Outside the BMP: a surrogate pair, as JavaScript's charCodeAt sees it.
                let offset = scalar - 0x1_0000
                state = (state ^ (0xD800 | offset >> 10)) &* Self.prime
                state = (state ^ (0xDC00 | offset & 0x3FF)) &* Self.prime
            }
        }
    }

    /// Mixes in one UTF-16 code unit.
    @inlinable
    public mutating func combine(unit: UInt16) {
        state = (state ^ UInt32(unit)) &* Self.prime
    }

    /// Mixes in the decimal digits of `number`, as `String(number)` would spell them, without
    /// making the string.
    @inlinable
    public mutating func combineDecimal(_ number: UInt32) {
        var divisor: UInt32 = 1
        while number / divisor >= 10 {
            divisor &*= 10
        }
        var remaining = number
        while true {
            let digit = remaining / divisor
            combine(unit: 0x30 &+ UInt16(truncatingIfNeeded: digit))
            remaining -= digit &* divisor
            if divisor == 1 { break }
            divisor /= 10
        }
    }

    /// FNV-1a of `text`.
    public static func hash(_ text: String) -> UInt32 {
        var hasher = FNV1a()
        hasher.combine(text)
        return hasher.value
    }
}

/// GrowthBook's version-2 bucket for `unit` under `seed`: `fnv(String(fnv(seed + unit))) % 10000 / 10000`,
/// a number in [0, 1) with four decimal places. Allocates nothing.
public func assignmentBucket(seed: String, unit: String) -> Double {
    var inner = FNV1a()
    inner.combine(seed)
    inner.combine(unit)
    var outer = FNV1a()
    outer.combineDecimal(inner.value)
    return Double(outer.value % 10_000) / 10_000
}
