import Foundation

/// The gamma distribution with unit scale, sampled by Marsaglia and Tsang's method (2000).
/// Its constants are computed once per distribution, so repeated draws cost one normal,
/// one uniform and a few multiplications.
public struct Gamma: Sendable, Hashable {
    /// The shape, > 0.
    public let shape: Double
    // Marsaglia–Tsang constants for shape ≥ 1 (for shape < 1 they belong to shape + 1).
    @usableFromInline let d: Double
    @usableFromInline let c: Double

    /// Creates Gamma(shape, 1).
    public init(shape: Double) {
        precondition(shape > 0 && shape.isFinite, "a gamma distribution needs a positive, finite shape")
        self.shape = shape
        let boosted = shape < 1 ? shape + 1 : shape
        d = boosted - 1.0 / 3.0
        c = 1 / (9 * d).squareRoot()
    }

    /// A random draw.
    @inlinable
    public func sample(using generator: inout Xoshiro256StarStar) -> Double {
        if shape >= 1 {
            return sampleBoosted(using: &generator)
        }
        // Gamma(a) = Gamma(a + 1) · U^(1/a) for a < 1.
        return sampleBoosted(using: &generator) * pow(generator.nextOpenUniform(), 1 / shape)
    }

    /// The logarithm of a random draw; exact even where the draw itself underflows (tiny shapes).
    public func sampleLogarithm(using generator: inout Xoshiro256StarStar) -> Double {
        if shape >= 1 {
            return log(sampleBoosted(using: &generator))
        }
        return log(sampleBoosted(using: &generator)) + log(generator.nextOpenUniform()) / shape
    }

    /// Marsaglia–Tsang for shape `d + 1/3` ≥ 1.
    @inlinable
    func sampleBoosted(using generator: inout Xoshiro256StarStar) -> Double {
        while true {
            let x = generator.nextNormal()
            var v = 1 + c * x
            if v <= 0 { continue }
            v = v * v * v
            let u = generator.nextUniform()
            let x2 = x * x
            if u < 1 - 0.0331 * x2 * x2 { return d * v }
            if log(u) < 0.5 * x2 + d * (1 - v + log(v)) { return d * v }
        }
    }
}
