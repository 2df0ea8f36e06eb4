import ArmoryServer
import ArmoryTestSupport
import Foundation
import HummingbirdTesting
import Testing

/// Slow and idle clients against a running server, over plain sockets: what an HTTP client
/// library would never send.
// One case at a time: each starts a whole server, and many at once starve other suites' timers.
@Suite("HTTP limits: idle connections closed, slow and oversized bodies answered, malformed requests answered", .serialized)
struct HTTPLimitsTests {
    static func configuration(in folder: URL) -> ServerConfiguration {
        var configuration = TestServer.configuration(in: folder)
        configuration.http.idleTimeout = .seconds(1)
        configuration.http.bodyTimeout = .seconds(1)
        return configuration
    }

    @Test("a header trickled and never finished, or an idle keep-alive, is closed after the idle timeout")
    func idle() async throws {
        let folder = try TestServer.makeFolder(["rail.yaml": TestServer.rail])
        defer { try? FileManager.default.removeItem(at: folder) }
        try await TestServer.run(Self.configuration(in: folder), over: .live) { client, _ in
            let port = try #require(client.port)
            let trickled = try RawConnection(port: port)
            try trickled.send("GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: a")
            let idle = try RawConnection(port: port)
            #expect(try trickled.readUntilClosed(within: .seconds(5)).isEmpty, "closed without an answer")
            #expect(try idle.readUntilClosed(within: .seconds(5)).isEmpty)
        }
    }

    @Test("a body that does not arrive within the body timeout gets a 408 with the JSON error, and its connection is closed")
    func slowBody() async throws {
        let folder = try TestServer.makeFolder(["rail.yaml": TestServer.rail])
        defer { try? FileManager.default.removeItem(at: folder) }
        var configuration = Self.configuration(in: folder)
        configuration.http.idleTimeout = .seconds(10)
        try await TestServer.run(configuration, over: .live) { client, _ in
            let connection = try RawConnection(port: try #require(client.port))
            try connection.send("POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"type\":")
            // A byte every half second: the idle timeout never fires, the body timeout does.
            for _ in 0..<3 {
                try await Task.sleep(for: .milliseconds(500))
                try? connection.send(" ")
            }
            let answer = try connection.readUntilClosed(within: .seconds(5))
            #expect(answer.hasPrefix("HTTP/1.1 408"), "\(answer.prefix(300))")
            #expect(answer.contains(#""code":"request_timeout""#))
        }
    }

    @Test("a body declared larger than any route takes gets a 413 at once, unread, and its connection is closed")
    func oversizedBody() async throws {
        let folder = try TestServer.makeFolder(["rail.yaml": TestServer.rail])
        defer { try? FileManager.default.removeItem(at: folder) }
        try await TestServer.run(Self.configuration(in: folder), over: .live) { client, _ in
            let connection = try RawConnection(port: try #require(client.port))
            try connection.send("POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n[")
            let answer = try connection.readUntilClosed(within: .seconds(3))
            #expect(answer.hasPrefix("HTTP/1.1 413"), "\(answer.prefix(300))")
            #expect(answer.contains(#""code":"body_too_large""#))
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
        try await TestServer.run(Self.configuration(in: folder), over: .live) { client, _ in
            let connection = try RawConnection(port: try #require(client.port))
            try? connection.send(bytes)
            let answer = try connection.readUntilClosed(within: .seconds(5))
            #expect(answer.hasPrefix("HTTP/1.1 \(status)"), "\(answer.prefix(300))")
            #expect(answer.contains(#""error":{"code":"#), "\(answer.prefix(300))")
        }
    }
}
