import ArmoryStorage
import Foundation
import Testing

/// Each way of failing to reach a store gives one line that names the host and database,
/// never the password.
@Suite("State store errors name the database and never the password")
struct StoreErrorTests {
    @Test("a wrong password is refused by the real server")
    func wrongPassword() async throws {
        let real = try PostgresEndpoint(url: TestStores.postgresURL())
        let wrong = PostgresEndpoint(host: real.host, port: real.port, username: real.username, password: "not-the-password-9431",
                                     database: real.database)
        do {
            try await PostgresStateStore(endpoint: wrong, logger: TestStores.quiet).migrate()
            Issue.record("a wrong password was accepted")
        } catch let error as StorageError {
            #expect(error.code == .authenticationFailed)
            #expect(error.message == "PostgreSQL at \(real.host):\(real.port), database \(real.database) refused user '\(real.username)': "
                + "password authentication failed for user \"\(real.username)\"; check the password in the URL")
            #expect(!error.message.contains("not-the-password-9431"))
        }
    }

    @Test("a server that is down (nothing listening on the port) is unreachable")
    func serverDown() async throws {
        let down = PostgresEndpoint(host: "127.0.0.1", port: 1, username: "armory", password: "secret-771", database: "armory")
        do {
            try await PostgresStateStore(endpoint: down, logger: TestStores.quiet).migrate()
            Issue.record("connected to a closed port")
        } catch let error as StorageError {
            #expect(error.code == .unreachable)
            #expect(error.message == "cannot reach PostgreSQL at 127.0.0.1:1, database armory: connection refused (is the server running, and on this port?)")
            #expect(!error.message.contains("secret-771"))
        }
    }

    @Test("a server that stays down reads as unreachable throughout, also once the pool stops trying for a while (60 s)")
    func serverStaysDown() async throws {
        let down = PostgresEndpoint(host: "127.0.0.1", port: 1, username: "armory", password: "secret-772", database: "armory")
        let store = PostgresStateStore(endpoint: down, logger: TestStores.quiet)
        var messages: [String] = []
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await store.run() }
            let clock = ContinuousClock()
            let start = clock.now
            // The pool trips its circuit breaker after 60 s of failed connections; its error then
            // is its own type, not postgres-nio's PSQLError.
            while clock.now - start < .seconds(75), !messages.contains(where: { $0.contains("connection pool is waiting") }) {
                do {
                    _ = try await store.historyHeads()
                    Issue.record("answered from a closed port")
                } catch let error as StorageError {
                    #expect(error.code == .unreachable, "\(error.message)")
                    messages.append(error.message)
                }
                try await Task.sleep(for: .seconds(1))
            }
            group.cancelAll()
        }
        #expect(messages.contains { $0.contains("connection pool is waiting") }, "\(Set(messages))")
        #expect(!messages.contains { $0.contains("secret-772") })
    }

    @Test("a database that does not exist is named")
    func missingDatabase() async throws {
        var endpoint = try PostgresEndpoint(url: TestStores.postgresURL())
        endpoint.database = "armory_no_such_database"
        await #expect(throws: StorageError(.invalidLocation, "\(endpoint.location): database \"armory_no_such_database\" does not exist")) {
            try await PostgresStateStore(endpoint: endpoint, logger: TestStores.quiet).migrate()
        }
    }

    @Test("bad locations are refused before any connection, without echoing a password", arguments: [
        ("mysql://u:p@h/db", "unsupported database URL scheme in ARMORY_DATABASE_URL: use postgres://… or a SQLite file path"),
        ("postgres://u:hunter2@/db", "PostgreSQL URL has no host: expected postgres://user:password@host:port/database"),
        ("postgres://u:hunter2@db.example", "PostgreSQL URL for db.example names no database: add /database after the host and port"),
        ("postgres://db.example:5432/armory", "PostgreSQL URL for db.example names no user: use postgres://user:password@db.example/armory"),
    ])
    func badLocations(text: String, message: String) {
        #expect(throws: StorageError(.invalidLocation, message)) { try StateStoreLocation(text) }
    }

    @Test("locations: postgres URLs, sqlite: paths, bare paths, and the default file")
    func locations() throws {
        #expect(try StateStoreLocation(nil) == .sqlite(path: ".armory/armory.sqlite"))
        #expect(try StateStoreLocation("") == .sqlite(path: ".armory/armory.sqlite"))
        #expect(try StateStoreLocation("sqlite:/tmp/a.sqlite") == .sqlite(path: "/tmp/a.sqlite"))
        #expect(try StateStoreLocation("data/state.db") == .sqlite(path: "data/state.db"))
        #expect(try StateStoreLocation("postgresql://ana:p%40ss@db:6543/arm") ==
                .postgres(PostgresEndpoint(host: "db", port: 6543, username: "ana", password: "p@ss", database: "arm")))
        #expect("\(try StateStoreLocation("postgres://ana:secret@db/arm"))" == "PostgreSQL at db:5432, database arm")
    }

    @Test("a SQLite file that cannot be created is named")
    func unwritableSQLite() {
        #expect(throws: StorageError.self) { try SQLiteStateStore(path: "/proc/armory/state.sqlite") }
    }
}
