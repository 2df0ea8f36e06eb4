/// Calls `body` with `value`'s decimal digits, made on the stack: for the text written by hand
/// on the recommendation path (decision ids, the response JSON), without a string first.
@inlinable
package func withDecimalDigits<R>(_ value: UInt64, _ body: (UnsafeRawBufferPointer) -> R) -> R {
    var magnitude = value
    var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // room for the 20 digits of any 64-bit integer
    return Swift.withUnsafeMutableBytes(of: &digits) { digits in
        var start = digits.count
        repeat {
            start -= 1
            digits[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
            magnitude /= 10
        } while magnitude > 0
        return body(UnsafeRawBufferPointer(rebasing: digits[start...]))
    }
}

extension [UInt8] {
    /// Appends `value` in decimal.
    package mutating func appendDecimal(_ value: Int) {
        if value < 0 { append(UInt8(ascii: "-")) }
        appendDecimal(UInt64(value.magnitude))
    }

    /// Appends `value` in decimal.
    package mutating func appendDecimal(_ value: UInt64) {
        withDecimalDigits(value) { append(contentsOf: $0) }
    }
}
