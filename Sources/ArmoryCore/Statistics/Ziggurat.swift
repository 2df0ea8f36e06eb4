import Foundation

/// Standard normal draws by the ziggurat method (Marsaglia and Tsang, 2000) with 256 layers
/// and 64-bit random words: one random word and two comparisons for about 99% of draws.
@usableFromInline
enum Ziggurat {
    /// The x coordinate where the tail begins.
    @usableFromInline static let tailStart = 3.654_152_885_361_008_8
    /// The area of each layer (and of the base strip with the tail).
    static let layerArea = 0.004_928_673_233_99

    /// `x[i]` is the right edge of layer `i` (`x[256] = 0`), and `f[i] = exp(-x[i]² / 2)`.
    @usableFromInline static let tables = ZigguratTables()
}

/// The ziggurat's two tables, computed once and never freed: 257 doubles each, read on every
/// normal draw. Raw pointers instead of arrays keep retain/release and bounds checks off the
/// hot path; `@unchecked Sendable` is sound because nothing writes them after `init`.
@usableFromInline
final class ZigguratTables: @unchecked Sendable {
    @usableFromInline let x: UnsafeMutablePointer<Double>
    @usableFromInline let f: UnsafeMutablePointer<Double>

    init() {
        x = .allocate(capacity: 257)
        f = .allocate(capacity: 257)
        let tailDensity = exp(-0.5 * Ziggurat.tailStart * Ziggurat.tailStart)
        x[0] = Ziggurat.layerArea / tailDensity
        x[1] = Ziggurat.tailStart
        for i in 1..<255 {
            x[i + 1] = (-2 * log(Ziggurat.layerArea / x[i] + exp(-0.5 * x[i] * x[i]))).squareRoot()
        }
        x[256] = 0
        for i in 0...256 { f[i] = exp(-0.5 * x[i] * x[i]) }
    }
}

extension Xoshiro256StarStar {
    /// A draw from the standard normal distribution N(0, 1).
    @inlinable
    public mutating func nextNormal() -> Double {
        let tables = Ziggurat.tables
        let x = tables.x
        let f = tables.f
        while true {
            let bits = next()
            let layer = Int(truncatingIfNeeded: bits & 0xFF)
            let sign: Double = bits & 0x100 == 0 ? 1 : -1
            let candidate = Double(bits >> 11) * 0x1.0p-53 * x[layer]
            if candidate < x[layer + 1] {
                return sign * candidate
            }
            if layer == 0 {
                return sign * sampleTail()
            }
            let y = f[layer] + nextUniform() * (f[layer + 1] - f[layer])
            if y < exp(-0.5 * candidate * candidate) {
                return sign * candidate
            }
        }
    }

    /// A draw from the normal tail beyond ``Ziggurat/tailStart`` (Marsaglia, 1964).
    @usableFromInline
    mutating func sampleTail() -> Double {
        let r = Ziggurat.tailStart
        while true {
            let a = -log(nextOpenUniform()) / r
            let b = -log(nextOpenUniform())
            if 2 * b > a * a {
                return r + a
            }
        }
    }
}
