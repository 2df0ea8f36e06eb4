import ArmoryStorage
import ArmoryTestSupport
import Foundation
import NIOCore
import Testing

@Suite("The ClickHouse client compresses inserts only where it pays")
struct ClickHouseClientTests {
    @Test("inserts are gzipped unless ClickHouse is on this machine's loopback interface", arguments: [
        ("http://127.0.0.1:8123/armory", false), ("http://localhost:8123", false), ("http://LOCALHOST:8123", false),
        ("http://[::1]:8123", false), ("http://127.10.0.3:8123", false),
        ("http://clickhouse.internal:8123", true), ("http://10.0.0.5:8123", true), ("http://127.example.com:8123", true),
        ("http://127.0.0.1.example.com:8123", true),
    ])
    func compressionByHost(url: String, compressed: Bool) throws {
        #expect(try ClickHouseClient(url: url).compressesInserts == compressed)
        #expect(try ClickHouseClient(url: url, compressInserts: !compressed).compressesInserts == !compressed)
    }

    @Test("gzip a chunk at a time is what the gzip command inflates back, whatever the chunks (0 B to 1 MB + 17 B; seed 3)",
          arguments: [(0, 1), (1, 1), (100, 1), (100_000, 1), (100_000, 7), (1_048_593, 64), (1_048_593, 3_000)])
    func gzipInChunks(length: Int, pieces: Int) async throws {
        // Half text that compresses, half noise that does not, in alternating runs.
        var numbers = SeededNumbers(seed: 3)
        let words = Array("impression week month user-4711 ".utf8)
        let bytes = (0..<length).map { index in
            index / 4_096 % 2 == 0 ? words[index % words.count] : UInt8(numbers.next(256))
        }
        let size = max(1, length / pieces)
        let chunks = AsyncStream<ByteBuffer> { continuation in
            for start in stride(from: 0, to: length, by: size) {
                continuation.yield(ByteBuffer(bytes: bytes[start..<min(start + size, length)]))
            }
            continuation.finish()
        }
        var compressed = ByteBuffer()
        for try await var chunk in GzippedChunks(chunks) {
            #expect(chunk.readableBytes > 0, "no empty chunk: it would end a chunked body")
            compressed.writeBuffer(&chunk)
        }
        #expect(compressed.getBytes(at: compressed.readerIndex, length: 2) == [0x1F, 0x8B], "a gzip member")

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("armory-gzip-\(UUID().uuidString).gz")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(compressed.readableBytesView).write(to: file)
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gzip.arguments = ["gzip", "-dc", file.path]
        let output = Pipe()
        gzip.standardOutput = output
        try gzip.run()
        let inflated = output.fileHandleForReading.readDataToEndOfFile()
        #expect(gzip.waitForExitStatus() == 0)
        #expect(inflated == Data(bytes))
    }
}

@Suite("ClickHouse's errors and names")
struct ClickHouseErrorTests {
    @Test("a server ClickHouse could not reach is 'unreachable' in 18.16's words and in today's; other errors are failures", arguments: [
        ("Code: 279, e.displayText() = DB::NetException: All connection tries failed. Log:", StorageError.Code.unreachable),
        ("Code: 279. DB::NetException: All connection tries failed. (ALL_CONNECTION_TRIES_FAILED)", .unreachable),
        ("Code: 225, e.displayText() = DB::Exception: Cannot get ZooKeeper", .unreachable),
        ("Code: 242, e.displayText() = DB::Exception: Table is in readonly mode", .unreachable),
        ("Code: 62, e.displayText() = DB::Exception: Syntax error", .failed),
        ("Code: 2790, e.displayText() = DB::Exception: a code that only starts like one", .failed),
        ("Code: , nothing", .failed),
        ("All connection tries failed (no code)", .failed),
    ])
    func codes(text: String, code: StorageError.Code) {
        #expect(ClickHouseClient.code(status: .internalServerError, text: text) == code)
    }

    @Test("a refused login is an authentication failure whatever the text")
    func login() {
        #expect(ClickHouseClient.code(status: .unauthorized, text: "Code: 279, whatever") == .authenticationFailed)
        #expect(ClickHouseClient.code(status: .forbidden, text: "") == .authenticationFailed)
    }

    @Test("a quoted identifier names exactly the text it was given, backquotes and backslashes included")
    func identifiers() async throws {
        try await ServerOutageLock.clickHouse.whileRunning {
            let client = try ClickHouseClient(url: TestServers.clickHouseURL())
            for name in ["plain", "two words", "back`quote", "back\\slash", "`", "\\`", "quote'd", "é漢字"] {
                let text = try await client.execute("SELECT 1 AS \(ClickHouseSQL.identifier(name)) FORMAT JSONEachRow")
                let row = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Int]
                #expect(row == [name: 1], "\(name): \(text)")
            }
        }
    }
}
