/// Armory's topic of events: its name, and its shape when Armory has to create it (an existing
/// topic is used as it is, whatever its shape).
public struct KafkaTopic: Sendable, Hashable {
    public var name: String
    public var partitions: Int
    /// Copies of each partition (-1: the broker's default).
    public var replicationFactor: Int16

    public init(name: String, partitions: Int = 12, replicationFactor: Int16 = -1) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
    }
}

extension KafkaClient {
    /// The topic's partitions, creating the topic first when the brokers do not know it.
    func partitions(of topic: KafkaTopic) async throws -> [KafkaMessages.Partition] {
        do {
            return try await partitions(of: topic.name)
        } catch let error as KafkaError where error.code == KafkaError.unknownTopicOrPartition {
            try await createTopic(topic.name, partitions: topic.partitions, replicationFactor: topic.replicationFactor)
            return try await partitions(of: topic.name, refresh: true)
        }
    }
}
