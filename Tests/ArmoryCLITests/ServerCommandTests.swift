import ArmoryTestSupport
import Foundation
import Testing

/// The README's walk-through on the embedded default: `armory serve` as a process, then the
/// commands that talk to it, then SIGTERM.
@Suite("armory serve and the commands that talk to it")
struct ServerCommandTests {
    /// A running `armory serve` in its own folder, on a free port.
    final class RunningServer: @unchecked Sendable {
        // @unchecked: the process and pipe are only touched by the test that owns this value.
        let process = Process()
        let folder: URL
        let url: String
        let errors = Pipe()

        init(environment extra: [String: String] = [:]) throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("armory-serve-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: CLIProcess.repositoryRoot.appendingPathComponent("experiments"),
                                             to: folder.appendingPathComponent("experiments"))
            process.executableURL = CLIProcess.executable
            process.arguments = ["serve", "--port", "0", "--demo-movies", "300", "--demo-users", "200"]
            process.currentDirectoryURL = folder
            var environment = ProcessInfo.processInfo.environment
            for name in ["ARMORY_DATABASE_URL", "ARMORY_CLICKHOUSE_URL", "ARMORY_REDIS_URL", "ARMORY_REDIS_PREFIX", "ARMORY_ADMIN_TOKEN", "ARMORY_PORT", "ARMORY_HOST"] {
                environment[name] = nil
            }
            environment.merge(extra) { $1 }
            process.environment = environment
            let output = Pipe()
            process.standardOutput = output
            process.standardError = errors
            try process.run()
            // The first line on standard output says where it listens.
            var line = Data()
            while !line.contains(UInt8(ascii: "\n")) {
                let chunk = output.fileHandleForReading.availableData
                guard !chunk.isEmpty else { break }
                line += chunk
            }
            let text = String(decoding: line, as: UTF8.self)
            guard let range = text.range(of: #"http://[0-9.]+:[0-9]+"#, options: .regularExpression) else {
                let errorText = String(decoding: errors.fileHandleForReading.availableData, as: UTF8.self)
                process.terminate()
                throw TestError("serve did not say where it listens: \(text) \(errorText)")
            }
            url = String(text[range])
        }

        func run(_ arguments: [String]) throws -> CLIProcess.Output {
            try CLIProcess.run(arguments + ["--url", url], in: folder, environment: ["ARMORY_ADMIN_TOKEN": ""])
        }

        /// Stops the server with SIGTERM and returns its exit status.
        func stop() -> Int32 {
            process.terminate()
            let status = process.waitForExitStatus()
            try? FileManager.default.removeItem(at: folder)
            return status
        }
    }

    struct TestError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    @Test("serve, list, traffic, results as table, JSON and CSV, rollback, pause, resume; SIGTERM stops it cleanly")
    func walkThrough() throws {
        let server = try RunningServer()
        var stopped = false
        defer { if !stopped { _ = server.stop() } }

        let experiments = try server.run(["experiments"])
        #expect(experiments.status == 0, "\(experiments.standardError)")
        #expect(experiments.standardOutput.contains("because-you-watched") && experiments.standardOutput.contains("homepage-rail"))

        let traffic = try server.run(["demo", "traffic", "--experiment", "homepage-rail", "--decisions", "300", "--movies", "300", "--users", "200"])
        #expect(traffic.status == 0, "\(traffic.standardError)")
        #expect(traffic.standardOutput.contains("300 requests"))
        #expect(traffic.standardOutput.contains("click-through"))

        let table = try server.run(["results", "homepage-rail"])
        #expect(table.status == 0, "\(table.standardError)")
        #expect(table.standardOutput.contains("P(best)") && table.standardOutput.contains("sample ratio: "))
        #expect(table.standardOutput.contains("fallbacks"))
        // Impressions are queued by the requests and flushed within moments: wait for them (up to 5 s).
        var trials = 0
        for _ in 0..<50 {
            let json = try server.run(["results", "homepage-rail", "--format", "json"])
            let object = try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any]
            trials = (object?["arms"] as? [[String: Any]] ?? []).reduce(0) { $0 + ($1["trials"] as? Int ?? 0) }
            if trials == 300 { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(trials == 300, "coverage 1: every decision counts")
        let csv = try server.run(["results", "homepage-rail", "--format", "csv"])
        #expect(csv.standardOutput.split(separator: "\r\n").count == 3)

        // Admin commands find the token in ./.armory/admin-token, as a newcomer's would.
        let noReason = try server.run(["pause", "homepage-rail"])
        #expect(noReason.status != 0)
        let rollback = try server.run(["rollback", "homepage-rail", "--to-arm", "control", "--reason", "personal looks broken"])
        #expect(rollback.status == 0, "\(rollback.standardError)")
        #expect(rollback.standardOutput.contains("pinned → control"))
        let pause = try server.run(["pause", "homepage-rail", "--reason", "investigating", "--actor", "ana"])
        #expect(pause.standardOutput.contains("homepage-rail: paused"))
        let resume = try server.run(["resume", "homepage-rail", "--reason", "all clear"])
        #expect(resume.standardOutput.contains("homepage-rail: running"))
        // Restoring an arm no guardrail dropped is refused, saying so.
        let restore = try server.run(["restore", "homepage-rail", "personal", "--reason", "back in"])
        #expect(restore.status != 0)
        #expect(restore.standardError.contains("arm 'personal' of experiment 'homepage-rail' was not dropped by a guardrail"),
                "\(restore.standardError)")
        let mistyped = try server.run(["rollback", "homepage-rail", "--to_version", "1", "--reason", "typo"])
        #expect(mistyped.status != 0)
        #expect(mistyped.standardError.contains("Unknown option '--to_version'. Did you mean '--to-version'?"), "\(mistyped.standardError)")

        // The history the changes made: weights, the audit log, and a reload that changes nothing.
        let weights = try server.run(["weights", "homepage-rail"])
        #expect(weights.status == 0, "\(weights.standardError)")
        #expect(weights.standardOutput.contains("v1*") && weights.standardOutput.contains("initial  config"), "\(weights.standardOutput)")
        let audit = try server.run(["audit", "homepage-rail"])
        #expect(audit.standardOutput.contains("pause") && audit.standardOutput.contains("investigating") && audit.standardOutput.contains("ana"))
        let reload = try server.run(["reload", "--reason", "nothing changed"])
        #expect(reload.status == 0, "\(reload.standardError)")
        #expect(reload.standardOutput.contains("homepage-rail: v1 from"))
        let wrongToken = try CLIProcess.run(["pause", "homepage-rail", "--reason", "x", "--url", server.url], in: server.folder,
                                            environment: ["ARMORY_ADMIN_TOKEN": "not-the-token-0123456789"])
        #expect(wrongToken.status == 1)
        #expect(wrongToken.standardError.contains("The token sent came from ARMORY_ADMIN_TOKEN"), "\(wrongToken.standardError)")
        let unknown = try server.run(["results", "nope"])
        #expect(unknown.status == 1)
        #expect(unknown.standardError.contains("unknown_experiment"))
        // --open prints the results page's address (this test has no desktop to open it on), after asking the server.
        let page = try server.run(["results", "homepage-rail", "--open"])
        #expect(page.status == 0 && page.standardOutput == "\(server.url)/experiments/homepage-rail\n", "\(page.standardOutput)")
        #expect(try server.run(["results", "nope", "--open"]).standardError.contains("unknown_experiment"))

        stopped = true
        #expect(server.stop() == 0, "SIGTERM shuts down gracefully")
    }

    @Test("ARMORY_MAX_CONNECTIONS: connections past the cap wait until one closes")
    func connectionCap() async throws {
        // A process of its own: Hummingbird's live test framework rebuilds the server's
        // configuration without the connection cap, so only a real server shows it.
        let server = try RunningServer(environment: ["ARMORY_MAX_CONNECTIONS": "2"])
        defer { _ = server.stop() }
        let port = try #require(URL(string: server.url)?.port)
        // Each held connection answers a request (kept alive) before the next opens, so the
        // server has accepted and counted it, whatever the machine's load.
        var held: [RawConnection] = []
        for _ in 0..<2 {
            let connection = try RawConnection(port: port)
            try connection.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try connection.read(within: .seconds(10)).hasPrefix("HTTP/1.1 200"))
            held.append(connection)
        }
        let waiting = try RawConnection(port: port)
        try waiting.send("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(try waiting.read(within: .milliseconds(800)).isEmpty, "not served while two are open")
        held[0].close()
        let answer = try waiting.readUntilClosed(within: .seconds(5))
        #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer.prefix(200))")
    }

    @Test("commands say clearly when no server answers")
    func noServer() throws {
        let output = try CLIProcess.run(["experiments", "--url", "http://127.0.0.1:1"])
        #expect(output.status == 1)
        #expect(output.standardError == "error: cannot reach Armory at http://127.0.0.1:1: connection refused. Is `armory serve` running there? "
            + "(--url or ARMORY_URL names another server)\n")
    }

    @Test("serve refuses a Redis URL that is not one, naming the flag, before opening anything")
    func badRedisURL() throws {
        let output = try CLIProcess.run(["serve", "--redis", "http://127.0.0.1:6379", "--port", "0"])
        #expect(output.status != 0)
        #expect(output.standardError.contains("--redis: not a Redis URL"))
    }
}
