import Foundation

extension Duration {
    /// The duration in seconds, as `TimeInterval`, for APIs that take one (dates, Dispatch).
    public var timeInterval: TimeInterval {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}
