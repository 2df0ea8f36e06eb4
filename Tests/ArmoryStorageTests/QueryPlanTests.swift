import ArmoryCore
@testable import ArmoryStorage
import Foundation
import GRDB
import PostgresNIO
import Testing

/// The one query a request can make, a user's history, read from the index alone: checked with
/// each database's own EXPLAIN on the demo data, so a change to the query or the schema that
/// would read the table again fails here, not in a benchmark.
@Suite("Query plans: a history read is a range of the user's index")
struct QueryPlanTests {
    @Test("SQLite: both halves search their (user_id, at DESC, movie_id) index and nothing else")
    func sqlite() async throws {
        try await TestStores.withFreshStore(.sqlite) { store, path in
            _ = try await DemoSeeder(data: DemoData(movies: 200, users: 300, seed: 5)).seed(into: store)
            let plans = try await DatabaseQueue(path: path).read { db in
                try ["views", "likes"].map { table in
                    try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + SQLiteStateStore.historySQL(table), arguments: ["user-7", 0, 500])
                        .map { $0["detail"] as String }
                }
            }
            for (table, plan) in zip(["views", "likes"], plans) {
                #expect(plan == ["SEARCH \(table) USING COVERING INDEX \(table)_by_user (user_id=? AND at>?)"], "no sort, no table: \(plan)")
            }
        }
    }

    @Test("PostgreSQL: both halves are index-only scans of their (user_id, at DESC, movie_id) index")
    func postgres() async throws {
        try await TestStores.withFreshStore(.postgres) { store, url in
            _ = try await DemoSeeder(data: DemoData(movies: 200, users: 300, seed: 5)).seed(into: store)
            let plan = try await TestStores.withAdminConnection(try PostgresEndpoint(url: url)) { connection in
                // On a table this small a sequential scan is cheaper; the question is whether
                // the index can answer alone, as it must on the demo's 825,612 views.
                try await connection.query("VACUUM ANALYZE views", logger: TestStores.quiet)
                try await connection.query("VACUUM ANALYZE likes", logger: TestStores.quiet)
                try await connection.query("SET enable_seqscan = off", logger: TestStores.quiet)
                try await connection.query("SET enable_bitmapscan = off", logger: TestStores.quiet)
                var query = PostgresQuery(unsafeSQL: "EXPLAIN " + HistoryStatement.sql)
                query.binds.append("user-7")
                query.binds.append(Date(timeIntervalSince1970: 0))
                query.binds.append(500)
                var lines: [String] = []
                for try await line in try await connection.query(query, logger: TestStores.quiet).decode(String.self) { lines.append(line) }
                return lines.joined(separator: "\n")
            }
            #expect(plan.contains("Index Only Scan using views_by_user on views"), "\(plan)")
            #expect(plan.contains("Index Only Scan using likes_by_user on likes"), "\(plan)")
        }
    }
}
