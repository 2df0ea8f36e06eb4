import Foundation
import NIOCore

/// The production ``MetricsStore``: events in a ClickHouse `ReplacingMergeTree`, inserted as
/// gzip-compressed `JSONEachRow` batches over HTTP, aggregated per decision in one query.
public struct ClickHouseMetricsStore: MetricsStore {
    /// The client.
    public let client: ClickHouseClient

    public var location: String { client.location }

    /// A store over `client`.
    public init(client: ClickHouseClient) {
        self.client = client
    }

    public func prepare() async throws {
        try await client.execute("""
            CREATE TABLE IF NOT EXISTS events (
              time DateTime, event_id String, decision_id String, experiment String, arm String,
              config_version UInt32, weight_version UInt32, user_id String, movie_id Int64,
              type String, value Float64, position Int32, items Array(Int64)
            ) ENGINE = ReplacingMergeTree
            PARTITION BY toYYYYMM(time)
            ORDER BY (experiment, arm, decision_id, type, event_id)
            """)
    }

    public func insert(_ events: [Event]) async throws {
        guard !events.isEmpty else { return }
        var rows = ByteBuffer()
        rows.reserveCapacity(events.count * 256)
        for event in events { JSONEachRow.append(event, to: &rows) }
        try await client.insert(into: "events", jsonEachRow: rows)
    }

    /// Phases as a `WHERE` condition, every value escaped by ``ClickHouseSQL``.
    private static func condition(_ phases: [ExperimentPhase]) -> String {
        phases.map { "(experiment = \(ClickHouseSQL.literal($0.experiment)) AND time >= \(ClickHouseSQL.literal($0.since)))" }
            .joined(separator: " OR ")
    }

    public func aggregates(_ phases: [ExperimentPhase]) async throws -> [ArmAggregate] {
        guard !phases.isEmpty else { return [] }
        // Per decision first: shown, clicked, converted, and its engagement summed over
        // distinct event ids (a replayed engagement event counts once); then per arm.
        let text = try await client.execute("""
            SELECT experiment, arm, count() AS trials, sum(clicked) AS clicked, sum(converted) AS converted,
                   sum(engagement) AS engagement_sum, sum(engagement * engagement) AS engagement_squares
            FROM (
              SELECT experiment, arm, decision_id,
                     max(type = 'impression') AS shown, max(type = 'click') AS clicked, max(type = 'conversion') AS converted,
                     arraySum(arrayMap(pair -> tupleElement(pair, 2), groupUniqArrayIf((event_id, value), type = 'engagement'))) AS engagement
              FROM events
              WHERE experiment IN \(ClickHouseSQL.list(phases.map(\.experiment))) AND (\(Self.condition(phases)))
              GROUP BY experiment, arm, decision_id
            )
            WHERE shown = 1
            GROUP BY experiment, arm
            ORDER BY experiment, arm
            FORMAT JSONEachRow
            """, settings: ["output_format_json_quote_64bit_integers": "0"])
        return try Self.rows(text, as: AggregateRow.self).map {
            ArmAggregate(experiment: $0.experiment, arm: $0.arm, trials: $0.trials, clicked: $0.clicked, converted: $0.converted,
                         engagementSum: $0.engagement_sum, engagementSumOfSquares: $0.engagement_squares)
        }
    }

    public func timeSeries(experiment: String, since: Date, bucket: TimeBucket) async throws -> [TimeSeriesPoint] {
        let text = try await client.execute("""
            SELECT intDiv(toUInt32(shown_at), \(bucket.seconds)) * \(bucket.seconds) AS bucket, arm,
                   count() AS trials, sum(clicked) AS clicked, sum(converted) AS converted
            FROM (
              SELECT arm, decision_id, minIf(time, type = 'impression') AS shown_at, max(type = 'impression') AS shown,
                     max(type = 'click') AS clicked, max(type = 'conversion') AS converted
              FROM events
              WHERE experiment = \(ClickHouseSQL.literal(experiment)) AND time >= \(ClickHouseSQL.literal(since))
              GROUP BY arm, decision_id
            )
            WHERE shown = 1
            GROUP BY bucket, arm
            ORDER BY bucket, arm
            FORMAT JSONEachRow
            """, settings: ["output_format_json_quote_64bit_integers": "0"])
        return try Self.rows(text, as: SeriesRow.self).map {
            TimeSeriesPoint(start: Date(timeIntervalSince1970: Double($0.bucket)), arm: $0.arm, trials: $0.trials, clicked: $0.clicked,
                            converted: $0.converted)
        }
    }

    private struct AggregateRow: Decodable {
        var experiment: String
        var arm: String
        var trials: Int
        var clicked: Int
        var converted: Int
        var engagement_sum: Double
        var engagement_squares: Double
    }

    private struct SeriesRow: Decodable {
        var bucket: Int
        var arm: String
        var trials: Int
        var clicked: Int
        var converted: Int
    }

    private static func rows<T: Decodable>(_ text: String, as type: T.Type) throws -> [T] {
        let decoder = JSONDecoder()
        return try text.split(separator: "\n").map { try decoder.decode(T.self, from: Data($0.utf8)) }
    }
}

/// Events as ClickHouse `JSONEachRow` lines, written by hand for speed.
enum JSONEachRow {
    static func append(_ event: Event, to buffer: inout ByteBuffer) {
        buffer.writeString("{\"time\":\(Int64(event.time.timeIntervalSince1970.rounded(.down))),\"event_id\":")
        string(event.eventID, to: &buffer)
        buffer.writeString(",\"decision_id\":")
        string(event.decisionID, to: &buffer)
        buffer.writeString(",\"experiment\":")
        string(event.experiment, to: &buffer)
        buffer.writeString(",\"arm\":")
        string(event.arm, to: &buffer)
        buffer.writeString(",\"config_version\":\(max(0, event.configVersion)),\"weight_version\":\(max(0, event.weightVersion)),\"user_id\":")
        string(event.userID, to: &buffer)
        buffer.writeString(",\"movie_id\":\(event.movieID),\"type\":\"\(event.type.rawValue)\",\"value\":\(event.value.isFinite ? event.value : 0),")
        buffer.writeString("\"position\":\(event.position),\"items\":[\(event.items.map(String.init).joined(separator: ","))]}\n")
    }

    /// A JSON string: quotes, backslashes and control characters escaped.
    static func string(_ text: String, to buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case 0..<0x20: buffer.writeString(String(format: "\\u%04x", byte))
            default: buffer.writeInteger(byte)
            }
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }
}
