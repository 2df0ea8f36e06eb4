extension [UInt8] {
    /// Appends `value` in decimal, without making a string of it first: for the text written
    /// by hand on the recommendation path (decision ids, the response JSON).
    package mutating func appendDecimal(_ value: Int) {
        if value < 0 { append(UInt8(ascii: "-")) }
        appendDecimal(UInt64(value.magnitude))
    }

    /// Appends `value` in decimal.
    package mutating func appendDecimal(_ value: UInt64) {
        var magnitude = value
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // room for the 20 digits of any 64-bit integer
        Swift.withUnsafeMutableBytes(of: &digits) { digits in
            var start = digits.count
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            append(contentsOf: digits[start...])
        }
    }
}
