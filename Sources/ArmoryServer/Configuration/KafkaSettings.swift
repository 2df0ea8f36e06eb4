import ArmoryCore
import ArmoryStorage
import Foundation

/// The Kafka event queue, when `ARMORY_KAFKA_BROKERS` is set: API replicas write accepted
/// events to the topic, and the ingest loop (role `ingest`, or `all`) moves them into the
/// metrics store.
public struct KafkaSettings: Sendable, Hashable {
    /// Bootstrap brokers, `host:port`.
    public var brokers: [String]
    /// The topic of events.
    public var topic = "armory-events"
    /// Sent with every request.
    public var clientID = "armory"
    /// The consumer group the ingest commits its offsets for.
    public var group = "armory-ingest"
    /// Partitions of the topic when Armory creates it (an existing topic is used as it is).
    public var topicPartitions = 12
    /// Copies of each partition when Armory creates the topic (-1: the broker's default).
    public var replicationFactor: Int16 = -1
    /// The partitions this process's ingest reads (`nil`: all).
    public var ingestPartitions: [Int32]?
    /// The most events per insert the ingest makes.
    public var ingestBatch = 50_000
    /// How long a broker may take to answer; a produce that takes longer is spooled.
    public var timeout: Duration = .seconds(5)

    public init(brokers: [String]) {
        self.brokers = brokers
    }

    /// The variables read, with what each sets.
    static let environmentVariables: [(name: String, meaning: String)] = [
        ("ARMORY_KAFKA_BROKERS", "the Kafka event queue: host:port[,host:port…]; API replicas produce events there and the ingest role moves them into the metrics store (none: events go straight to the metrics store)"),
        ("ARMORY_KAFKA_TOPIC", "the topic of events (armory-events)"),
        ("ARMORY_KAFKA_CLIENT_ID", "the client id sent to the brokers (armory)"),
        ("ARMORY_KAFKA_GROUP", "the consumer group the ingest commits its offsets for (armory-ingest)"),
        ("ARMORY_KAFKA_TOPIC_PARTITIONS", "partitions of the topic when Armory creates it (12)"),
        ("ARMORY_KAFKA_REPLICATION", "copies of each partition when Armory creates the topic (the broker's default)"),
        ("ARMORY_KAFKA_PARTITIONS", "the partitions this ingest process reads, e.g. 0-5 or 0,2,4 (all)"),
        ("ARMORY_KAFKA_INGEST_BATCH", "the most events per insert the ingest makes into ClickHouse (50000)"),
        ("ARMORY_KAFKA_TIMEOUT", "how long a broker may take to answer before events are spooled, e.g. 5s (5s)"),
    ]

    /// The settings the environment gives (`nil` without `ARMORY_KAFKA_BROKERS`).
    init?(environment value: (String) -> String?) throws {
        guard let brokers = value("ARMORY_KAFKA_BROKERS") else { return nil }
        do {
            self.init(brokers: try KafkaClient.Configuration.brokers(brokers))
        } catch let error as KafkaError {
            throw ConfigurationError("ARMORY_KAFKA_BROKERS: \(error.message)")
        }
        if let topic = value("ARMORY_KAFKA_TOPIC") {
            guard topic.count <= 249, topic.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }), topic != ".", topic != ".." else {
                throw ConfigurationError("ARMORY_KAFKA_TOPIC must be a Kafka topic name (letters, digits, '.', '_', '-'; at most 249), not '\(topic)'")
            }
            self.topic = topic
        }
        if let clientID = value("ARMORY_KAFKA_CLIENT_ID") { self.clientID = try Self.name(clientID, "ARMORY_KAFKA_CLIENT_ID") }
        if let group = value("ARMORY_KAFKA_GROUP") { self.group = try Self.name(group, "ARMORY_KAFKA_GROUP") }
        if let text = value("ARMORY_KAFKA_TOPIC_PARTITIONS") {
            guard let count = Int(text), (1...10_000).contains(count) else {
                throw ConfigurationError("ARMORY_KAFKA_TOPIC_PARTITIONS must be a whole number from 1 to 10000, not '\(text)'")
            }
            topicPartitions = count
        }
        if let text = value("ARMORY_KAFKA_REPLICATION") {
            guard let count = Int16(text), count >= 1 else {
                throw ConfigurationError("ARMORY_KAFKA_REPLICATION must be a whole number of 1 or more, not '\(text)'")
            }
            replicationFactor = count
        }
        if let text = value("ARMORY_KAFKA_PARTITIONS") { ingestPartitions = try Self.partitions(text) }
        if let text = value("ARMORY_KAFKA_INGEST_BATCH") {
            guard let count = Int(text), (1...1_000_000).contains(count) else {
                throw ConfigurationError("ARMORY_KAFKA_INGEST_BATCH must be a whole number from 1 to 1000000, not '\(text)'")
            }
            ingestBatch = count
        }
        if let text = value("ARMORY_KAFKA_TIMEOUT") {
            guard let timeout = DurationText.parse(text), timeout >= .milliseconds(100), timeout <= .seconds(300) else {
                throw ConfigurationError("ARMORY_KAFKA_TIMEOUT must be a duration from 100ms to 5m such as 5s, not '\(text)'")
            }
            self.timeout = timeout
        }
    }

    /// A client id or group: at most 255 bytes (Kafka's strings hold up to 32,767).
    private static func name(_ text: String, _ variable: String) throws -> String {
        guard text.utf8.count <= 255 else { throw ConfigurationError("\(variable) must be at most 255 bytes, not \(text.utf8.count)") }
        return text
    }

    /// `0-5`, `0,2,4` or a mix: the partitions named, each once, in order.
    static func partitions(_ text: String) throws -> [Int32] {
        var partitions: Set<Int32> = []
        for part in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false).map { Int32($0) }
            guard (1...2).contains(bounds.count), bounds.allSatisfy({ ($0 ?? -1) >= 0 }), bounds.first!! <= bounds.last!!, bounds.last!! < 100_000 else {
                throw ConfigurationError("ARMORY_KAFKA_PARTITIONS must list partitions such as 0-5 or 0,2,4, not '\(text)'")
            }
            partitions.formUnion(bounds.first!!...bounds.last!!)
        }
        guard !partitions.isEmpty else { throw ConfigurationError("ARMORY_KAFKA_PARTITIONS names no partition") }
        return partitions.sorted()
    }

    /// The topic as Armory creates it when missing.
    public var kafkaTopic: KafkaTopic { KafkaTopic(name: topic, partitions: topicPartitions, replicationFactor: replicationFactor) }

    /// The client these settings describe.
    public var client: KafkaClient {
        var configuration = KafkaClient.Configuration(brokers: brokers)
        configuration.clientID = clientID
        let (seconds, attoseconds) = timeout.components
        configuration.requestTimeout = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        return KafkaClient(configuration: configuration)
    }
}
