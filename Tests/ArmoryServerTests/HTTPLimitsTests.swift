import ArmoryServer
import Foundation
import HummingbirdTesting
import Testing

/// Slow and idle clients against a running server, over plain sockets: what an HTTP client
/// library would never send.
@Suite("HTTP limits: idle connections and stalled bodies are closed")
struct HTTPLimitsTests {
    static func configuration(in folder: URL) -> ServerConfiguration {
        var configuration = TestServer.configuration(in: folder)
        configuration.http.idleTimeout = .seconds(1)
        return configuration
    }

    @Test("a header trickled and never finished, or an idle keep-alive, is closed after the idle timeout")
    func idle() async throws {
        let folder = try TestServer.makeFolder(["rail.yaml": TestServer.rail])
        defer { try? FileManager.default.removeItem(at: folder) }
        try await TestServer.run(Self.configuration(in: folder)) { client, _ in
            let port = try #require(client.port)
            let trickled = try RawConnection(port: port)
            try trickled.send("GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: a")
            let idle = try RawConnection(port: port)
            #expect(try trickled.readUntilClosed(within: .seconds(5)).isEmpty, "closed without an answer")
            #expect(try idle.readUntilClosed(within: .seconds(5)).isEmpty)
        }
    }

    @Test("a body that stalls is closed after the idle timeout, and the events it held are not acknowledged")
    func stalledBody() async throws {
        let folder = try TestServer.makeFolder(["rail.yaml": TestServer.rail])
        defer { try? FileManager.default.removeItem(at: folder) }
        try await TestServer.run(Self.configuration(in: folder)) { client, _ in
            let connection = try RawConnection(port: try #require(client.port))
            try connection.send("POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"type\":")
            let answer = try connection.readUntilClosed(within: .seconds(5))
            #expect(!answer.contains("202"), "\(answer)")
        }
    }

    static let malformed: [(String, [UInt8], String)] = [
        ("two Content-Lengths", Array("POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}".utf8), "400"),
        ("Content-Length with chunked",
         Array("POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".utf8), "400"),
        ("a NUL in a header", Array("GET /health HTTP/1.1\r\nHost: x\r\nX-A: a".utf8) + [0] + Array("b\r\n\r\n".utf8), "400"),
        ("a 100 KB header", Array("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 100_000))\r\n\r\n".utf8), "431"),
        ("an HTTP/2 preface", Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8), "400"),
        ("a TLS hello", [0x16, 0x03, 0x01, 0x00, 0xA5, 0x01, 0x00, 0x00, 0xA1, 0x03, 0x03] + Array(repeating: 0x41, count: 32), "400"),
        ("a bare LF", Array("GET /nowhere HTTP/1.1\nHost: x\n\n".utf8), "40"),
        ("0xFF in the path", Array("GET /v1/experiments/".utf8) + [0xFF] + Array(" HTTP/1.1\r\nHost: x\r\n\r\n".utf8), "40"),
        ("50,000 query parameters",
         Array("GET /v1/recommendations?\(Array(repeating: "a=1", count: 50_000).joined(separator: "&")) HTTP/1.1\r\nHost: x\r\n\r\n".utf8), "431"),
        ("a 1 MB URL", Array("GET /health?q=\(String(repeating: "a", count: 1_000_000)) HTTP/1.1\r\nHost: x\r\n\r\n".utf8), "431"),
    ]

    @Test("a request the parser cannot read gets the JSON error and the connection is closed",
          arguments: malformed.map(\.0))
    func malformedRequest(name: String) async throws {
        let (_, bytes, status) = try #require(Self.malformed.first { $0.0 == name })
        let folder = try TestServer.makeFolder(["rail.yaml": TestServer.rail])
        defer { try? FileManager.default.removeItem(at: folder) }
        try await TestServer.run(Self.configuration(in: folder)) { client, _ in
            let connection = try RawConnection(port: try #require(client.port))
            try? connection.send(bytes)
            let answer = try connection.readUntilClosed(within: .seconds(5))
            #expect(answer.hasPrefix("HTTP/1.1 \(status)"), "\(answer.prefix(300))")
            #expect(answer.contains(#""error":{"code":"#), "\(answer.prefix(300))")
        }
    }
}

/// A blocking TCP connection to 127.0.0.1.
final class RawConnection: @unchecked Sendable {
    private var socket: Int32

    init(port: Int) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    deinit { close() }

    func send(_ text: String) throws {
        try send(Array(text.utf8))
    }

    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { throw POSIXError(.EPIPE) }
            sent += count
        }
    }

    /// What arrives within `limit` (empty when nothing does); stops at the first read that ends.
    func read(within limit: Duration) throws -> String {
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(limit.components.seconds * 1_000 + limit.components.attoseconds / 1_000_000_000_000_000)
        guard poll(&descriptor, 1, milliseconds) > 0 else { return "" }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let count = recv(socket, &buffer, buffer.count, 0)
        return count > 0 ? String(decoding: buffer.prefix(count), as: UTF8.self) : ""
    }

    /// Everything until the server closes the connection; fails if it is still open after `limit`.
    func readUntilClosed(within limit: Duration) throws -> String {
        let deadline = ContinuousClock.now + limit
        var text = ""
        while ContinuousClock.now < deadline {
            var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 50) > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 65_536)
            let count = recv(socket, &buffer, buffer.count, 0)
            if count <= 0 { return text }
            text += String(decoding: buffer.prefix(count), as: UTF8.self)
        }
        Issue.record("the connection was still open after \(limit); read so far: \(text)")
        return text
    }

    func close() {
        if socket >= 0 { Glibc.close(socket) }
        socket = -1
    }
}
