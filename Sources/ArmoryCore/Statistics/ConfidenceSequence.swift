import Foundation

/// An always-valid confidence sequence for a difference of means: an interval that covers the
/// true difference at every sample size at once with probability at least 1 − α, so it may be
/// looked at after every update cycle without the repeated looks inflating false alarms.
///
/// The asymptotic confidence sequence of Waudby-Smith et al. (2023, eq. 9), built on the normal
/// mixture boundary of Howard et al. (2021), as GrowthBook's sequential tests use it. For an
/// estimate with variance V (s²ₐ/nₐ + s²ᵣ/nᵣ for two arms) from N = nₐ + nᵣ decisions:
///
///     half-width = √V · √( 2 (Nρ² + 1) / (Nρ²) · ln( √(Nρ² + 1) / α ) )
///     ρ          = √( (−2 ln α + ln(1 − 2 ln α)) / N* )
///
/// N* (``tuningSampleSize``) is the sample size at which the interval is narrowest relative to a
/// fixed-sample interval; before and after it the interval is wider than needed, never invalid.
/// The two-sided interval at level α is used for one-sided decisions, which keeps them valid at
/// level α (a one-sided mixture would be slightly narrower).
public struct ConfidenceSequence: Sendable, Hashable {
    /// The error rate.
    public let alpha: Double
    /// N*, the total decisions at which the interval is tuned to be tightest.
    public let tuningSampleSize: Double
    /// The mixing parameter ρ.
    public let rho: Double

    /// The tuning sample size Armory uses: detection is quickest around this many decisions in
    /// the two arms compared (see BENCHMARKS.md, "Guardrails").
    public static let defaultTuningSampleSize = 10_000.0

    /// A sequence at level `alpha`, tightest around `tuningSampleSize` decisions.
    public init(alpha: Double, tuningSampleSize: Double = ConfidenceSequence.defaultTuningSampleSize) {
        precondition(alpha > 0 && alpha < 1 && tuningSampleSize > 0, "alpha in (0, 1) and a positive tuning sample size")
        self.alpha = alpha
        self.tuningSampleSize = tuningSampleSize
        let logAlpha = log(alpha)
        rho = ((-2 * logAlpha + log(1 - 2 * logAlpha)) / tuningSampleSize).squareRoot()
    }

    /// The half-width for an estimate with variance `variance` from `sampleSize` decisions.
    public func halfWidth(variance: Double, sampleSize: Int) -> Double {
        guard sampleSize > 0, variance > 0 else { return 0 }
        let scaled = Double(sampleSize) * rho * rho
        return variance.squareRoot() * (2 * (scaled + 1) / scaled * log((scaled + 1).squareRoot() / alpha)).squareRoot()
    }
}
