import NIOCore
import NIOPosix
import Synchronization

/// A small Kafka client on SwiftNIO: what Armory's event queue needs and nothing more. It
/// learns the brokers and the partitions' leaders from Metadata, keeps one connection per
/// broker (checked with ApiVersions when made, so an unsupported broker is named at once), and
/// sends each request to the broker that must answer it. Plaintext only. Tested against the
/// Tansu broker and, for the wire formats, against kafka-python.
public final class KafkaClient: Sendable {
    /// Where the brokers are and how long to wait for them.
    public struct Configuration: Sendable, Hashable {
        /// Bootstrap brokers as `host:port`; the rest are learnt from them.
        public var brokers: [String]
        /// Sent with every request, for the broker's logs and quotas.
        public var clientID = "armory"
        /// How long a request may wait for its response (a fetch: this plus its own wait).
        public var requestTimeout: TimeAmount = .seconds(10)
        /// How long connecting to a broker may take.
        public var connectTimeout: TimeAmount = .seconds(3)

        public init(brokers: [String]) {
            self.brokers = brokers
        }

        /// Parses `host:port[,host:port…]`; the port defaults to 9092.
        public static func brokers(_ text: String) throws -> [String] {
            let brokers = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !brokers.isEmpty else { throw KafkaError(code: 0, "no Kafka broker given: expected host:port[,host:port…]") }
            return try brokers.map { broker in
                let parts = broker.split(separator: ":", omittingEmptySubsequences: false)
                guard parts.count <= 2, !parts[0].isEmpty, parts.count == 1 || (Int(parts[1]).map { (1...65_535).contains($0) } ?? false) else {
                    throw KafkaError(code: 0, "not a Kafka broker address: '\(broker)' (expected host:port)")
                }
                return parts.count == 1 ? "\(broker):9092" : broker
            }
        }
    }

    private struct State {
        var brokers: [Int32: KafkaMessages.Broker] = [:]
        var topics: [String: [KafkaMessages.Partition]] = [:]
        var coordinators: [String: KafkaMessages.Broker] = [:]
        var connections: [String: KafkaConnection] = [:]
    }

    public let configuration: Configuration
    private let state = Mutex(State())

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// For messages: the bootstrap brokers.
    public var location: String { "Kafka at \(configuration.brokers.joined(separator: ","))" }

    // MARK: Topics

    /// The topic's partitions with their leaders, from the cache or, with `refresh` or when the
    /// topic is unknown, from a broker.
    func partitions(of topic: String, refresh: Bool = false) async throws -> [KafkaMessages.Partition] {
        if !refresh, let cached = state.withLock({ $0.topics[topic] }) { return cached }
        var response = try await send(KafkaMessages.Key.metadata, to: nil) { KafkaMessages.writeMetadata([topic], to: &$0) }
        let (brokers, topics) = try KafkaMessages.readMetadata(&response)
        guard let found = topics.first(where: { $0.name == topic }) else { throw KafkaError(code: KafkaError.unknownTopicOrPartition, "no topic \(topic)") }
        try KafkaError.check(found.error, "the topic \(topic) is not available")
        guard !found.partitions.isEmpty else { throw KafkaError(code: KafkaError.leaderNotAvailable, "the topic \(topic) has no partitions yet") }
        state.withLock { state in
            for broker in brokers { state.brokers[broker.node] = broker }
            state.topics[topic] = found.partitions
        }
        return found.partitions
    }

    /// The number of partitions of `topic`.
    public func partitionCount(_ topic: String) async throws -> Int {
        try await partitions(of: topic).count
    }

    /// Creates `topic` when it does not exist yet; an existing topic is left as it is.
    public func createTopic(_ topic: String, partitions: Int, replicationFactor: Int16 = -1) async throws {
        var response = try await send(KafkaMessages.Key.createTopics, to: nil) {
            KafkaMessages.writeCreateTopic(topic, partitions: Int32(partitions), replicationFactor: replicationFactor,
                                           timeoutMilliseconds: 10_000, to: &$0)
        }
        let (error, message) = try KafkaMessages.readCreateTopic(&response)
        guard error != KafkaError.topicAlreadyExists else { return }
        try KafkaError.check(error, "cannot create the topic \(topic)\(message.map { ": \($0)" } ?? "")")
    }

    // MARK: Producing

    /// A producer id and epoch for an idempotent producer.
    func initProducerID() async throws -> (id: Int64, epoch: Int16) {
        var response = try await send(KafkaMessages.Key.initProducerID, to: nil) { KafkaMessages.writeInitProducerID(to: &$0) }
        return try KafkaMessages.readInitProducerID(&response)
    }

    /// Sends each partition's batch to its leader, `acks=all`, one request per leader, all
    /// written before any answer is awaited (so batches sent by successive calls from one task
    /// reach each broker in order). Returns per partition its error code and base offset.
    func produce(topic: String, batches: [Int32: ByteBuffer]) async throws -> [Int32: (error: Int16, baseOffset: Int64)] {
        let leaders = try await leaders(of: topic, for: Array(batches.keys))
        var pending: [EventLoopFuture<ByteBuffer>] = []
        for (node, partitions) in leaders {
            let connection = try await connection(to: node)
            let requestBatches = partitions.sorted().map { ($0, batches[$0]!) }
            let timeout = Int32(configuration.requestTimeout.nanoseconds / 1_000_000)
            pending.append(connection.sendFuture(KafkaMessages.Key.produce, version: 3, timeout: configuration.requestTimeout + .seconds(1)) {
                KafkaMessages.writeProduce(topic: topic, batches: requestBatches, timeoutMilliseconds: timeout, to: &$0)
            })
        }
        var results: [Int32: (error: Int16, baseOffset: Int64)] = [:]
        for future in pending {
            var response = try await future.get()
            results.merge(try KafkaMessages.readProduce(&response)) { $1 }
        }
        if results.values.contains(where: { KafkaError(code: $0.error, "").needsNewMetadata }) {
            _ = try? await partitions(of: topic, refresh: true)
        }
        return results
    }

    // MARK: Consuming

    /// Records from each partition at its offset, waiting up to `maxWait` for any to arrive.
    func fetch(topic: String, offsets: [Int32: Int64], maxWait: Duration, maxBytes: Int32 = 8 << 20) async throws -> [KafkaMessages.FetchedPartition] {
        let leaders = try await leaders(of: topic, for: Array(offsets.keys))
        // At least a millisecond: Tansu 0.6 answers a fetch that may not wait with no partitions at all.
        let waitMilliseconds = max(1, Int32(maxWait.components.seconds * 1_000 + maxWait.components.attoseconds / 1_000_000_000_000_000))
        var results: [KafkaMessages.FetchedPartition] = []
        try await withThrowingTaskGroup(of: [KafkaMessages.FetchedPartition].self) { group in
            for (node, partitions) in leaders {
                let entries = partitions.sorted().map { ($0, offsets[$0]!) }
                group.addTask {
                    var response = try await self.send(KafkaMessages.Key.fetch, to: node, extraTime: .milliseconds(Int64(waitMilliseconds))) {
                        KafkaMessages.writeFetch(topic: topic, offsets: entries, maxWaitMilliseconds: waitMilliseconds, maxBytes: maxBytes, to: &$0)
                    }
                    return try KafkaMessages.readFetch(&response)
                }
            }
            for try await partitions in group { results += partitions }
        }
        if results.contains(where: { KafkaError(code: $0.error, "").needsNewMetadata }) {
            _ = try? await partitions(of: topic, refresh: true)
        }
        return results
    }

    /// Per partition, the earliest offset still in the topic. (Not the latest: Tansu 0.6
    /// answers that with the last batch's first offset + 1; Fetch's high watermark is right.)
    func earliestOffsets(topic: String, partitions: [Int32]) async throws -> [Int32: Int64] {
        let leaders = try await leaders(of: topic, for: partitions)
        var offsets: [Int32: Int64] = [:]
        for (node, owned) in leaders {
            var response = try await send(KafkaMessages.Key.listOffsets, to: node) {
                KafkaMessages.writeListOffsets(topic: topic, partitions: owned.sorted(), timestamp: -2, to: &$0)
            }
            offsets.merge(try KafkaMessages.readListOffsets(&response)) { $1 }
        }
        return offsets
    }

    /// The offsets `group` has committed for `topic` (-1 where none).
    func committedOffsets(group: String, topic: String, partitions: [Int32]) async throws -> [Int32: Int64] {
        try await withCoordinator(of: group) { coordinator in
            var response = try await self.send(KafkaMessages.Key.offsetFetch, to: coordinator) {
                KafkaMessages.writeOffsetFetch(group: group, topic: topic, partitions: partitions, to: &$0)
            }
            return try KafkaMessages.readOffsetFetch(&response)
        }
    }

    /// Commits `offsets` (each the next offset to read) for `group`.
    func commit(group: String, topic: String, offsets: [Int32: Int64]) async throws {
        try await withCoordinator(of: group) { coordinator in
            var response = try await self.send(KafkaMessages.Key.offsetCommit, to: coordinator) {
                KafkaMessages.writeOffsetCommit(group: group, topic: topic, offsets: offsets, to: &$0)
            }
            try KafkaMessages.readOffsetCommit(&response)
        }
    }

    func stateCoordinator(_ group: String) -> KafkaMessages.Broker? { state.withLock { $0.coordinators[group] } }

    func remember(coordinator: KafkaMessages.Broker, of group: String) {
        state.withLock { state in
            state.coordinators[group] = coordinator
            state.brokers[coordinator.node] = coordinator
        }
    }

    func brokerAddress(_ node: Int32) -> KafkaMessages.Broker? { state.withLock { $0.brokers[node] } }

    func existingConnection(_ key: String) -> KafkaConnection? { state.withLock { $0.connections[key] } }

    /// Keeps `connection` for `key`, or the one another task kept first (closing this one).
    func keep(_ connection: KafkaConnection, as key: String) -> KafkaConnection {
        let kept = state.withLock { state -> KafkaConnection in
            if let other = state.connections[key], other.isActive { return other }
            state.connections[key] = connection
            return connection
        }
        if kept !== connection { Task { await connection.close() } }
        return kept
    }

    /// Drops a connection that failed, so the next request makes a new one.
    func forget(_ connection: KafkaConnection) {
        state.withLock { state in
            if let key = state.connections.first(where: { $0.value === connection })?.key { state.connections[key] = nil }
        }
        Task { await connection.close() }
    }

    /// Closes every connection.
    public func close() async {
        let connections = state.withLock { state in
            defer { state.connections = [:] }
            return Array(state.connections.values)
        }
        for connection in connections { await connection.close() }
    }
}
