import ArmoryStorage
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import PostgresNIO

/// The real PostgreSQL and ClickHouse servers `scripts/services.sh` starts for the tests, found
/// by `ARMORY_TEST_DATABASE_URL` and `ARMORY_TEST_CLICKHOUSE_URL`, and fresh databases on them.
/// A missing variable fails the test, naming it: CI always sets them, so no half of a suite
/// silently goes missing.
public enum TestServers {
    /// Why a test could not be set up.
    public struct SetupError: Error, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    static let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    /// The PostgreSQL test server's URL.
    public static func postgresURL() throws -> String {
        try variable("ARMORY_TEST_DATABASE_URL", server: "PostgreSQL")
    }

    /// The ClickHouse test server's URL.
    public static func clickHouseURL() throws -> String {
        try variable("ARMORY_TEST_CLICKHOUSE_URL", server: "ClickHouse")
    }

    static func variable(_ name: String, server: String) throws -> String {
        guard let url = ProcessInfo.processInfo.environment[name], !url.isEmpty else {
            throw SetupError("\(name) is not set: run the tests with `bash scripts/test`, which starts \(server)")
        }
        return url
    }

    static func freshName() -> String {
        "armory_test_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased())"
    }

    /// A new empty PostgreSQL database; its URL and name. Drop it with ``dropPostgresDatabase(_:)``.
    public static func makePostgresDatabase() async throws -> (url: String, name: String) {
        let base = try PostgresEndpoint(url: postgresURL())
        let name = freshName()
        try await base.withConnection(logger: quiet) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: quiet)
        }
        return ("postgres://\(base.username):\(base.password ?? "")@\(base.host):\(base.port)/\(name)", name)
    }

    /// Drops a database made by ``makePostgresDatabase()``.
    public static func dropPostgresDatabase(_ name: String) async throws {
        let base = try PostgresEndpoint(url: postgresURL())
        try await base.withConnection(logger: quiet) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: quiet)
        }
    }

    /// A ClickHouse client on a new, empty database of its own; `compressInserts` as in
    /// ``ClickHouseClient/init(url:http:timeout:compressInserts:)`` (by default, not: the
    /// test server is on the loopback interface).
    public static func makeClickHouseDatabase(compressInserts: Bool? = nil) async throws -> ClickHouseClient {
        let base = try ClickHouseClient(url: clickHouseURL())
        let name = freshName()
        try await base.execute("CREATE DATABASE \(name)")
        return try ClickHouseClient(url: clickHouseURL(database: name), compressInserts: compressInserts)
    }

    /// The ClickHouse test server's URL with `database` in place of its own.
    public static func clickHouseURL(database: String) throws -> String {
        var components = URLComponents(string: try clickHouseURL())!
        components.path = "/\(database)"
        return components.string!
    }

    /// Drops a database made by ``makeClickHouseDatabase()``.
    public static func dropClickHouseDatabase(_ client: ClickHouseClient) async {
        _ = try? await client.execute("DROP DATABASE IF EXISTS \(client.database)")
    }
}

/// Keeps tests that stop a shared server (the ClickHouse and Kafka outage tests) from running while
/// tests in other suites use it: users share, the outage is exclusive. One per process, so it
/// works across test targets, which Swift Testing runs in parallel.
public actor ServerOutageLock {
    /// The lock for the ClickHouse test server.
    public static let clickHouse = ServerOutageLock()
    /// The lock for the Kafka test broker.
    public static let kafka = ServerOutageLock()

    private var users = 0
    private var isStopped = false
    private var waiting: [(exclusive: Bool, continuation: CheckedContinuation<Void, Never>)] = []

    /// Runs `body` while the server is not being stopped by another test.
    public func whileRunning<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        if isStopped || waiting.contains(where: \.exclusive) {
            await withCheckedContinuation { waiting.append((false, $0)) }
        } else {
            users += 1
        }
        defer { release(exclusive: false) }
        return try await body()
    }

    /// Runs `body` (which may stop the server) once no other test is using it.
    public func exclusively<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        if isStopped || users > 0 {
            await withCheckedContinuation { waiting.append((true, $0)) }
        } else {
            isStopped = true
        }
        defer { release(exclusive: true) }
        return try await body()
    }

    private func release(exclusive: Bool) {
        if exclusive { isStopped = false } else { users -= 1 }
        guard !isStopped, users == 0 || !(waiting.first?.exclusive ?? false) else { return }
        // Wake the next exclusive waiter alone, or every shared waiter before it.
        if let first = waiting.first, first.exclusive {
            guard users == 0 else { return }
            waiting.removeFirst()
            isStopped = true
            first.continuation.resume()
            return
        }
        while let next = waiting.first, !next.exclusive {
            waiting.removeFirst()
            users += 1
            next.continuation.resume()
        }
    }
}

extension TestServers {
    /// The Redis test server's URL.
    public static func redisURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["ARMORY_TEST_REDIS_URL"], !url.isEmpty else {
            throw SetupError("ARMORY_TEST_REDIS_URL is not set: run the tests with `bash scripts/test`, which starts Redis")
        }
        return url
    }

    /// Runs `scripts/services.sh <command> <server>` (for the tests that stop a server).
    ///
    /// Spawned with no signals blocked and every signal's default action: a server it starts
    /// would otherwise inherit the test thread's mask (nearly every signal blocked), ignore
    /// `services.sh stop`'s SIGTERM and be killed after its 5 s grace.
    public static func services(_ command: String, _ server: String) throws {
        try runScript("services.sh", command, server)
    }

    /// Runs `scripts/<name> <command> <server>` as ``services(_:_:)`` does.
    static func runScript(_ name: String, _ command: String, _ server: String) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized
        let script = root.appendingPathComponent("scripts/\(name)").path
        guard try spawnWithDefaultSignals("/bin/bash", [script, command, server]) == 0 else {
            throw SetupError("\(name) \(command) \(server) failed")
        }
    }

    /// Runs `executable` with `arguments` (output discarded), unblocking and resetting the
    /// signals a server cares about, and returns its exit status.
    static func spawnWithDefaultSignals(_ executable: String, _ arguments: [String]) throws -> Int32 {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2, SIGALRM] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard result == 0 else { throw SetupError("cannot run \(executable): \(String(cString: strerror(result)))") }
        guard let status = waitForChild(pid) else { throw SetupError("lost track of \(executable) (PID \(pid))") }
        return status
    }
}
