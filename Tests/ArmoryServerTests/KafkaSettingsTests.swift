import ArmoryServer
import Testing

/// The Kafka variables: every malformed one refused at start with an error that names it.
@Suite struct KafkaSettingsTests {
    static let clickHouse = ["ARMORY_CLICKHOUSE_URL": "http://armory:secret@127.0.0.1:8123/armory"]

    static func configuration(_ variables: [String: String]) throws -> ServerConfiguration {
        let configuration = try ServerConfiguration(environment: clickHouse.merging(variables) { $1 })
        try configuration.validate()
        return configuration
    }

    @Test("the settings read, with their defaults")
    func parsed() throws {
        let configuration = try Self.configuration([
            "ARMORY_KAFKA_BROKERS": "k1:9093, k2", "ARMORY_KAFKA_PARTITIONS": "0-2,5", "ARMORY_KAFKA_TIMEOUT": "2s",
        ])
        let kafka = try #require(configuration.kafka)
        #expect(kafka.brokers == ["k1:9093", "k2:9092"])
        #expect(kafka.ingestPartitions == [0, 1, 2, 5])
        #expect(kafka.timeout == .seconds(2))
        #expect(kafka.topic == "armory-events" && kafka.group == "armory-ingest" && kafka.topicPartitions == 12 && kafka.ingestBatch == 50_000)
        #expect(try Self.configuration([:]).kafka == nil)
    }

    @Test("a malformed variable is refused, naming it", arguments: [
        ("ARMORY_KAFKA_BROKERS", "host:notaport"),
        ("ARMORY_KAFKA_TOPIC", "no spaces"),
        ("ARMORY_KAFKA_TOPIC_PARTITIONS", "0"),
        ("ARMORY_KAFKA_REPLICATION", "-1"),
        ("ARMORY_KAFKA_PARTITIONS", "5-2"),
        ("ARMORY_KAFKA_PARTITIONS", "0-999999999"),
        ("ARMORY_KAFKA_INGEST_BATCH", "0"),
        ("ARMORY_KAFKA_TIMEOUT", "forever"),
        ("ARMORY_KAFKA_GROUP", String(repeating: "g", count: 300)),
    ])
    func refused(_ variable: String, _ value: String) {
        var variables = ["ARMORY_KAFKA_BROKERS": "127.0.0.1:9092"]
        variables[variable] = value
        #expect { try Self.configuration(variables) } throws: { "\($0)".contains(variable) }
    }

    @Test("Kafka without ClickHouse, and the ingest role without Kafka, are refused at start")
    func combinations() throws {
        #expect { try ServerConfiguration(environment: ["ARMORY_KAFKA_BROKERS": "127.0.0.1:9092"]).validate() } throws: {
            "\($0)".contains("ARMORY_CLICKHOUSE_URL")
        }
        var ingest = try Self.configuration([:])
        ingest.role = .ingest
        #expect { try ingest.validate() } throws: { "\($0)".contains("ARMORY_KAFKA_BROKERS") }
    }
}
