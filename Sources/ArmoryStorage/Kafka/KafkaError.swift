/// A Kafka failure: an error code a broker answered with, or a broken or missing answer.
public struct KafkaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The broker's error code (Kafka's `Errors` table), or 0 for a client-side failure.
    public var code: Int16
    /// What happened, for logs and messages.
    public var message: String

    public init(code: Int16, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { code == 0 ? message : "\(message) (Kafka error \(code): \(Self.name(code)))" }

    static func malformed(_ message: String) -> KafkaError { KafkaError(code: 0, "malformed Kafka response: \(message)") }

    /// Throws the broker's error `code` with `context`; 0 (no error) passes.
    static func check(_ code: Int16, _ context: @autoclosure () -> String) throws {
        guard code != 0 else { return }
        throw KafkaError(code: code, context())
    }

    // The codes this client acts on.
    static let offsetOutOfRange: Int16 = 1
    static let unknownTopicOrPartition: Int16 = 3
    static let leaderNotAvailable: Int16 = 5
    static let notLeaderOrFollower: Int16 = 6
    static let requestTimedOut: Int16 = 7
    static let coordinatorLoadInProgress: Int16 = 14
    static let coordinatorNotAvailable: Int16 = 15
    static let notCoordinator: Int16 = 16
    static let topicAlreadyExists: Int16 = 36
    static let duplicateSequenceNumber: Int16 = 46

    /// Whether asking again (after fresh metadata, for the leader and coordinator codes) can
    /// succeed: Kafka's retriable errors among those a producer or consumer meets.
    public var isRetriable: Bool {
        code == 0 || [Self.unknownTopicOrPartition, Self.leaderNotAvailable, Self.notLeaderOrFollower, Self.requestTimedOut,
                      Self.coordinatorLoadInProgress, Self.coordinatorNotAvailable, Self.notCoordinator, 19, 20, 56].contains(code)
    }

    /// Whether the broker says the client's view of leaders or coordinators is stale.
    var needsNewMetadata: Bool {
        [Self.unknownTopicOrPartition, Self.leaderNotAvailable, Self.notLeaderOrFollower, Self.notCoordinator, Self.coordinatorNotAvailable].contains(code)
    }

    static func name(_ code: Int16) -> String {
        switch code {
        case 1: "OFFSET_OUT_OF_RANGE"
        case 2: "CORRUPT_MESSAGE"
        case 3: "UNKNOWN_TOPIC_OR_PARTITION"
        case 5: "LEADER_NOT_AVAILABLE"
        case 6: "NOT_LEADER_OR_FOLLOWER"
        case 7: "REQUEST_TIMED_OUT"
        case 10: "MESSAGE_TOO_LARGE"
        case 14: "COORDINATOR_LOAD_IN_PROGRESS"
        case 15: "COORDINATOR_NOT_AVAILABLE"
        case 16: "NOT_COORDINATOR"
        case 19: "NOT_ENOUGH_REPLICAS"
        case 20: "NOT_ENOUGH_REPLICAS_AFTER_APPEND"
        case 29: "TOPIC_AUTHORIZATION_FAILED"
        case 30: "GROUP_AUTHORIZATION_FAILED"
        case 35: "UNSUPPORTED_VERSION"
        case 36: "TOPIC_ALREADY_EXISTS"
        case 45: "OUT_OF_ORDER_SEQUENCE_NUMBER"
        case 46: "DUPLICATE_SEQUENCE_NUMBER"
        case 47: "INVALID_PRODUCER_EPOCH"
        case 56: "KAFKA_STORAGE_ERROR"
        case 59: "UNKNOWN_PRODUCER_ID"
        default: "see Kafka's protocol guide"
        }
    }
}
