import NIOCore

extension ByteBuffer {
    /// Writes `text` as a JSON string: quotes, backslashes and control characters escaped, runs
    /// of other bytes (UTF-8 as it is) copied at once. For the JSON written by hand on hot paths
    /// (ClickHouse inserts, the recommendation response).
    public mutating func writeJSONString(_ text: String) {
        writeInteger(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            let raw = UnsafeRawBufferPointer(bytes)
            var start = 0
            for index in bytes.indices where bytes[index] == UInt8(ascii: "\"") || bytes[index] == UInt8(ascii: "\\") || bytes[index] < 0x20 {
                writeBytes(UnsafeRawBufferPointer(rebasing: raw[start..<index]))
                switch bytes[index] {
                case UInt8(ascii: "\""): writeStaticString("\\\"")
                case UInt8(ascii: "\\"): writeStaticString("\\\\")
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    writeStaticString("\\u00")
                    writeInteger(hex[Int(bytes[index] >> 4)])
                    writeInteger(hex[Int(bytes[index] & 0x0F)])
                }
                start = index + 1
            }
            writeBytes(UnsafeRawBufferPointer(rebasing: raw[start...]))
        }
        writeInteger(UInt8(ascii: "\""))
    }
}
