import ArmoryTestSupport
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// How `armory serve` starts and stops: a port in use is reported before anything loads; a
/// signal ends it within seconds whatever it is doing, and loses no acknowledged event.
@Suite("armory serve: start-up and shutdown", .serialized)
struct ServerLifecycleTests {
    /// `armory serve` started in `folder` with `arguments`, its standard error collected.
    final class ServeProcess: @unchecked Sendable {
        // @unchecked: the process and its log are touched by the owning test and the reader.
        let process = Process()
        private let log = Mutex(Data())

        init(_ arguments: [String], in folder: URL, environment: [String: String] = [:]) throws {
            process.executableURL = CLIProcess.executable
            process.arguments = ["serve"] + arguments
            process.currentDirectoryURL = folder
            var variables = ProcessInfo.processInfo.environment
            for name in ["ARMORY_DATABASE_URL", "ARMORY_CLICKHOUSE_URL", "ARMORY_REDIS_URL", "ARMORY_ADMIN_TOKEN", "ARMORY_PORT", "ARMORY_HOST"] {
                variables[name] = nil
            }
            process.environment = variables.merging(environment) { $1 }
            let errors = Pipe()
            process.standardError = errors
            process.standardOutput = errors
            errors.fileHandleForReading.readabilityHandler = { [self] handle in
                let data = handle.availableData
                log.withLock { $0.append(data) }
            }
            try process.run()
        }

        var output: String { log.withLock { String(decoding: $0, as: UTF8.self) } }

        /// Waits up to `seconds` for `text` in the output.
        func wait(for text: String, seconds: Double) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if output.contains(text) { return true }
                Thread.sleep(forTimeInterval: 0.05)
            }
            return false
        }

        /// The address it printed, once it listens.
        var url: String? {
            output.range(of: #"http://[0-9.]+:[0-9]+"#, options: .regularExpression).map { String(output[$0]) }
        }

        /// Sends `signal` and returns the exit status and the seconds it took to exit.
        func stop(with signal: Int32) -> (status: Int32, seconds: Double) {
            let start = Date()
            kill(process.processIdentifier, signal)
            let status = process.waitForExitStatus()
            return (status, Date().timeIntervalSince(start))
        }
    }

    static func folder(withExperiments: Bool = true) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("armory-lifecycle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        if withExperiments {
            try FileManager.default.copyItem(at: CLIProcess.repositoryRoot.appendingPathComponent("experiments"),
                                             to: folder.appendingPathComponent("experiments"))
        }
        return folder
    }

    @Test("a port already in use is reported at once, before the demo catalog is seeded or anything else is done")
    func portInUse() throws {
        let first = try Self.folder()
        defer { try? FileManager.default.removeItem(at: first) }
        let running = try ServeProcess(["--port", "0", "--demo-movies", "100", "--demo-users", "50"], in: first)
        defer { _ = running.stop(with: SIGTERM) }
        #expect(running.wait(for: "listening on", seconds: 120), "\(running.output)")
        let port = try #require(running.url.flatMap { URL(string: $0)?.port })

        let second = try Self.folder()
        defer { try? FileManager.default.removeItem(at: second) }
        let started = Date()
        let output = try CLIProcess.run(["serve", "--port", String(port)], in: second)
        #expect(output.status == 1)
        #expect(output.standardError.contains("cannot listen on 127.0.0.1:\(port): the port is already in use"), "\(output.standardError)")
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(!FileManager.default.fileExists(atPath: second.appendingPathComponent(".armory/armory.sqlite").path), "nothing was opened")
    }

    @Test("SIGINT during the first start's demo seed ends the server within 5 s; the next start seeds again from scratch")
    func interruptedSeed() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let seeding = try ServeProcess(["--port", "0"], in: folder)
        #expect(seeding.wait(for: "seeding the demo catalog", seconds: 60), "\(seeding.output)")
        Thread.sleep(forTimeInterval: 1)
        let (_, seconds) = seeding.stop(with: SIGINT)
        #expect(seconds < 5, "ended \(seconds) s after SIGINT")
        #expect(!seeding.output.contains("listening on"))

        let again = try ServeProcess(["--port", "0", "--demo-movies", "300", "--demo-users", "200"], in: folder)
        defer { _ = again.stop(with: SIGTERM) }
        #expect(again.wait(for: "listening on", seconds: 120), "\(again.output)")
        #expect(again.output.contains("was stopped before its end; seeding it again from the start"))
        #expect(again.output.contains("seeding the demo catalog") && again.output.contains("300 movies, 200 users"))
    }

    @Test("SIGTERM with ClickHouse frozen and events queued ends the server within 5 s; the events are in the spool, and count after a restart")
    func shutdownWithFrozenStore() async throws {
        let clickHouse = try await TestServers.makeClickHouseDatabase()
        defer { Task { await TestServers.dropClickHouseDatabase(clickHouse) } }
        let url = try TestServers.clickHouseURL(database: clickHouse.database)
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let arguments = ["--port", "0", "--demo-movies", "300", "--demo-users", "200", "--clickhouse", url]
        try await ServerOutageLock.clickHouse.exclusively {
            let server = try ServeProcess(arguments, in: folder)
            #expect(server.wait(for: "listening on", seconds: 120), "\(server.output)")
            let address = try #require(server.url)
            try TestServers.services("freeze", "clickhouse")
            defer { try? TestServers.services("thaw", "clickhouse") }
            // Forty decisions: their impressions are queued, and the flush that takes them hangs on ClickHouse.
            let requests = try CLIProcess.run(["-c", "for i in $(seq 1 40); do curl -sf \"\(address)/v1/recommendations?user_id=u$i&experiment=homepage-rail\" "
                + "> /dev/null || exit 1; done"], executable: URL(fileURLWithPath: "/bin/bash"))
            #expect(requests.status == 0, "\(requests.standardError)")
            try await Task.sleep(for: .seconds(2))
            let (status, seconds) = server.stop(with: SIGTERM)
            #expect(seconds < 5, "ended \(seconds) s after SIGTERM")
            #expect(status == 0)
            let spool = folder.appendingPathComponent(".armory/spool/events.spool")
            #expect((try? FileManager.default.attributesOfItem(atPath: spool.path)[.size] as? Int) ?? 0 > 0, "the queued impressions were spooled")
        }
        // ClickHouse answers again: a new server replays the spool, and all 40 decisions count.
        let server = try ServeProcess(arguments, in: folder)
        defer { _ = server.stop(with: SIGTERM) }
        #expect(server.wait(for: "listening on", seconds: 120), "\(server.output)")
        var trials = 0
        for _ in 0..<100 {
            let results = try CLIProcess.run(["results", "homepage-rail", "--format", "json", "--url", try #require(server.url)], in: folder)
            let object = try JSONSerialization.jsonObject(with: Data(results.standardOutput.utf8)) as? [String: Any]
            trials = (object?["arms"] as? [[String: Any]] ?? []).reduce(0) { $0 + ($1["trials"] as? Int ?? 0) }
            if trials == 40 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(trials == 40)
    }
}
