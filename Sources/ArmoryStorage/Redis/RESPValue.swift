import NIOCore

/// A value of Redis's protocol, RESP2: what a command returns.
public enum RESPValue: Sendable, Hashable {
    /// `+OK`
    case simpleString(String)
    /// `-ERR …`: the server refused the command.
    case error(String)
    /// `:42`
    case integer(Int)
    /// `$5 hello`, or `$-1` (nil).
    case bulkString(String?)
    /// `*2 …`, or `*-1` (nil).
    case array([RESPValue]?)

    /// The value as text, for replies that are strings or integers.
    public var text: String? {
        switch self {
        case .simpleString(let text): text
        case .bulkString(let text): text
        case .integer(let number): String(number)
        case .error, .array: nil
        }
    }

    /// Writes `arguments` as a command: an array of bulk strings.
    static func writeCommand(_ arguments: [String], to buffer: inout ByteBuffer) {
        buffer.writeString("*\(arguments.count)\r\n")
        for argument in arguments {
            buffer.writeString("$\(argument.utf8.count)\r\n")
            buffer.writeString(argument)
            buffer.writeStaticString("\r\n")
        }
    }

    /// Reads one value from `buffer`, or returns `nil` (leaving the reader index alone) when
    /// the value is not complete yet. Throws on bytes that are not RESP.
    static func read(from buffer: inout ByteBuffer) throws -> RESPValue? {
        var probe = buffer
        guard let value = try parse(&probe) else { return nil }
        buffer = probe
        return value
    }

    private static func parse(_ buffer: inout ByteBuffer) throws -> RESPValue? {
        guard let type = buffer.readInteger(as: UInt8.self), let line = readLine(&buffer) else { return nil }
        switch type {
        case UInt8(ascii: "+"): return .simpleString(line)
        case UInt8(ascii: "-"): return .error(line)
        case UInt8(ascii: ":"):
            guard let number = Int(line) else { throw StorageError(.protocolViolation, "malformed integer reply '\(line)'") }
            return .integer(number)
        case UInt8(ascii: "$"):
            guard let length = Int(line), length >= -1 else { throw StorageError(.protocolViolation, "malformed bulk string length '\(line)'") }
            if length == -1 { return .bulkString(nil) }
            guard buffer.readableBytes >= length + 2, let text = buffer.readString(length: length) else { return nil }
            buffer.moveReaderIndex(forwardBy: 2)
            return .bulkString(text)
        case UInt8(ascii: "*"):
            guard let count = Int(line), count >= -1 else { throw StorageError(.protocolViolation, "malformed array length '\(line)'") }
            if count == -1 { return .array(nil) }
            var elements: [RESPValue] = []
            elements.reserveCapacity(count)
            for _ in 0..<count {
                guard let element = try parse(&buffer) else { return nil }
                elements.append(element)
            }
            return .array(elements)
        default:
            throw StorageError(.protocolViolation, "unexpected reply type byte \(type)")
        }
    }

    private static func readLine(_ buffer: inout ByteBuffer) -> String? {
        guard let end = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\r")),
              end + 1 < buffer.writerIndex, buffer.getInteger(at: end + 1, as: UInt8.self) == UInt8(ascii: "\n") else { return nil }
        let line = buffer.readString(length: end - buffer.readerIndex)
        buffer.moveReaderIndex(forwardBy: 2)
        return line
    }
}
