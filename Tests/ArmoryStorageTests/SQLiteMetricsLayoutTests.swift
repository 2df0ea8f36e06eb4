@testable import ArmoryStorage
import ArmoryCore
import Foundation
import GRDB
import Testing

/// The embedded metrics file's layout: how repeats are stored, and the rewrite of a file made
/// by an earlier Armory (events keyed by event id).
@Suite("SQLite metrics layout: appended rows, repeats by kind, files of the first layout rewritten")
struct SQLiteMetricsLayoutTests {
    static let start = Date(timeIntervalSince1970: 1_795_600_000)

    /// A new directory with `metrics.sqlite`'s path, removed after `body`.
    static func withFile<T>(_ body: (String) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("armory-layout-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try await body(directory.appendingPathComponent("metrics.sqlite").path)
    }

    /// The first layout, as Armory created it before `user_version` was kept, with `events` in
    /// it the way that Armory inserted them (a repeated event id ignored).
    static func writeFirstLayout(_ events: [Event], to path: String) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: """
                CREATE TABLE events (
                  event_id TEXT PRIMARY KEY, type TEXT NOT NULL, time REAL NOT NULL, decision_id TEXT NOT NULL, decision_time REAL NOT NULL,
                  experiment TEXT NOT NULL, arm TEXT NOT NULL, config_version INTEGER NOT NULL, weight_version INTEGER NOT NULL,
                  user_id TEXT NOT NULL, movie_id INTEGER NOT NULL, value REAL NOT NULL, position INTEGER NOT NULL, items TEXT NOT NULL
                ) WITHOUT ROWID;
                CREATE INDEX events_by_decision ON events (experiment, arm, decision_id, type);
                CREATE INDEX events_by_time ON events (experiment, decision_time);
                """)
            for event in events {
                try db.execute(sql: "INSERT OR IGNORE INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", arguments: [
                    event.eventID, event.type.rawValue, event.time.timeIntervalSince1970, event.decisionID,
                    event.decisionTime.timeIntervalSince1970, event.experiment, event.arm, event.configVersion, event.weightVersion,
                    event.userID, event.movieID, event.value, event.position, event.items.map(String.init).joined(separator: ","),
                ])
            }
        }
    }

    /// Layout 1, as an Armory that did not record module failures created it, with `events`.
    static func writeLayoutOne(_ events: [Event], to path: String) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: """
                CREATE TABLE events (
                  type TEXT NOT NULL, event_id TEXT, time REAL NOT NULL, decision_id TEXT NOT NULL, decision_time REAL NOT NULL,
                  experiment TEXT NOT NULL, arm TEXT NOT NULL, config_version INTEGER NOT NULL, weight_version INTEGER NOT NULL,
                  user_id TEXT NOT NULL, movie_id INTEGER NOT NULL, value REAL NOT NULL, position INTEGER NOT NULL, items TEXT NOT NULL,
                  CHECK ((type = 'impression') = (event_id IS NULL))
                );
                CREATE UNIQUE INDEX events_by_id ON events (event_id) WHERE event_id IS NOT NULL;
                CREATE INDEX events_by_time ON events (experiment, decision_time);
                PRAGMA user_version = 1;
                """)
            for event in events {
                try db.execute(sql: "INSERT OR IGNORE INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", arguments: [
                    event.type.rawValue, event.storedEventID, event.time.timeIntervalSince1970, event.decisionID,
                    event.decisionTime.timeIntervalSince1970, event.experiment, event.arm, event.configVersion, event.weightVersion,
                    event.userID, event.movieID, event.value, event.position, event.items.map(String.init).joined(separator: ","),
                ])
            }
        }
    }

    /// `expected` as a file that recorded no module failures totals it.
    static func withoutFailures(_ expected: [String: ArmAggregate]) -> [String: ArmAggregate] {
        expected.mapValues { totals in
            var totals = totals
            totals.timeouts = 0
            totals.errors = 0
            return totals
        }
    }

    static func read<T: Sendable>(_ path: String, _ body: @Sendable (Database) throws -> T) throws -> T {
        try DatabaseQueue(path: path).read(body)
    }

    /// Whether `totals` are `expected` (sorted by arm), with sums of engagement equal to 1e-6.
    static func same(_ totals: [ArmAggregate], _ expected: [String: ArmAggregate]) -> Bool {
        let expected = expected.values.sorted { $0.arm < $1.arm }
        return totals.count == expected.count && zip(totals, expected).allSatisfy { got, want in
            var rounded = got
            rounded.engagementSum = want.engagementSum
            rounded.engagementSumOfSquares = want.engagementSumOfSquares
            return rounded == want && abs(got.engagementSum - want.engagementSum) < 1e-6
                && abs(got.engagementSumOfSquares - want.engagementSumOfSquares) < 1e-6 * max(1, want.engagementSumOfSquares)
        }
    }

    @Test("a repeated impression is stored again and counts once; a repeated outcome is not stored again")
    func repeats() async throws {
        try await Self.withFile { path in
            let store = try SQLiteMetricsStore(path: path)
            try await store.prepare()
            let traffic = TestMetrics.traffic(experiment: "rail", arms: ["a", "b"], decisions: 400, seed: 9, start: Self.start)
            try await store.insert(traffic.events)
            try await store.insert(traffic.events)
            let impressions = traffic.events.filter { $0.type == .impression }.count
            let outcomes = traffic.events.count - impressions
            let (storedImpressions, storedOutcomes, namedImpressions) = try Self.read(path) { db in
                (try Int.fetchOne(db, sql: "SELECT count(*) FROM events WHERE type = 'impression'") ?? -1,
                 try Int.fetchOne(db, sql: "SELECT count(*) FROM events WHERE type <> 'impression'") ?? -1,
                 try Int.fetchOne(db, sql: "SELECT count(*) FROM events WHERE type = 'impression' AND event_id IS NOT NULL") ?? -1)
            }
            #expect(storedImpressions == 2 * impressions)
            #expect(storedOutcomes == outcomes)
            #expect(namedImpressions == 0, "an impression's event id is its decision id, not stored twice")
            let totals = try await store.aggregates([ExperimentPhase(experiment: "rail", since: Self.start)])
            #expect(Self.same(totals, traffic.expected), "\(totals)")
        }
    }

    @Test("a file of the first layout is rewritten on prepare: the same totals, every row kept, appended rows after it; a second prepare changes nothing")
    func rewritesFirstLayout() async throws {
        try await Self.withFile { path in
            let traffic = TestMetrics.traffic(experiment: "rail", arms: ["a", "b", "c"], decisions: 1_500, seed: 10, start: Self.start)
            try Self.writeFirstLayout(traffic.events + traffic.events.prefix(600), to: path)
            let phase = [ExperimentPhase(experiment: "rail", since: Self.start)]

            let store = try SQLiteMetricsStore(path: path)
            try await store.prepare()
            let (version, rows, schema) = try Self.read(path) { db in
                (try Int.fetchOne(db, sql: "PRAGMA user_version") ?? -1,
                 try Int.fetchOne(db, sql: "SELECT count(*) FROM events") ?? -1,
                 try String.fetchAll(db, sql: "SELECT name || ': ' || coalesce(sql, '') FROM sqlite_master ORDER BY name"))
            }
            #expect(version == SQLiteMetricsStore.layoutVersion)
            #expect(rows == traffic.events.count, "each event once, as the first layout held them")
            #expect(!schema.contains { $0.contains("WITHOUT ROWID") || $0.contains("events_by_decision") }, "\(schema)")
            var expected = Self.withoutFailures(traffic.expected)
            #expect(Self.same(try await store.aggregates(phase), expected))

            // Events after the rewrite, and repeats of the old ones, count as they should.
            let more = TestMetrics.traffic(experiment: "row", arms: ["x"], decisions: 300, seed: 11, start: Self.start)
            try await store.insert(more.events + traffic.events.suffix(400))
            // A replayed impression carries its module failure, which now counts.
            for event in traffic.events.suffix(400) where event.type == .impression {
                if event.moduleFailure == .timeout { expected[event.arm]?.timeouts += 1 }
                if event.moduleFailure == .error { expected[event.arm]?.errors += 1 }
            }
            #expect(Self.same(try await store.aggregates(phase), expected))
            #expect(Self.same(try await store.aggregates([ExperimentPhase(experiment: "row", since: Self.start)]), more.expected))

            let reopened = try SQLiteMetricsStore(path: path)
            try await reopened.prepare()
            #expect(Self.same(try await reopened.aggregates(phase), expected))
        }
    }

    @Test("a file of layout 1 gets the module-failure columns on prepare: its rows count no failures, new rows count theirs")
    func addsFailureColumns() async throws {
        try await Self.withFile { path in
            let old = TestMetrics.traffic(experiment: "rail", arms: ["a", "b"], decisions: 600, seed: 12, start: Self.start)
            try Self.writeLayoutOne(old.events, to: path)
            let store = try SQLiteMetricsStore(path: path)
            try await store.prepare()
            let (version, rows) = try Self.read(path) { db in
                (try Int.fetchOne(db, sql: "PRAGMA user_version") ?? -1, try Int.fetchOne(db, sql: "SELECT count(*) FROM events") ?? -1)
            }
            #expect(version == SQLiteMetricsStore.layoutVersion)
            #expect(rows == old.events.count)
            #expect(Self.same(try await store.aggregates([ExperimentPhase(experiment: "rail", since: Self.start)]), Self.withoutFailures(old.expected)))
            let new = TestMetrics.traffic(experiment: "row", arms: ["x", "y"], decisions: 600, seed: 13, start: Self.start)
            try await store.insert(new.events)
            #expect(Self.same(try await store.aggregates([ExperimentPhase(experiment: "row", since: Self.start)]), new.expected))
            #expect(new.expected.values.contains { $0.timeouts > 0 } && new.expected.values.contains { $0.errors > 0 })
        }
    }

    @Test("a file of a newer layout is refused, and left as it is")
    func refusesNewerLayout() async throws {
        try await Self.withFile { path in
            try await DatabaseQueue(path: path).write { db in
                try db.execute(sql: "CREATE TABLE events (anything TEXT); PRAGMA user_version = \(SQLiteMetricsStore.layoutVersion + 1)")
            }
            let store = try SQLiteMetricsStore(path: path)
            await #expect { try await store.prepare() } throws: { error in
                let error = error as? StorageError
                return error?.code == .schemaTooNew && error?.message.contains(path) == true
            }
            let columns = try Self.read(path) { db in try db.columns(in: "events").map(\.name) }
            #expect(columns == ["anything"])
        }
    }
}
