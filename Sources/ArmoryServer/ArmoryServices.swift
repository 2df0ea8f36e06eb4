import ArmoryStorage
import ServiceLifecycle

/// Armory's long-running parts, each a `Service` of the application's one service group.
///
/// ``inStartOrder`` is the one statement of their order. The service group starts them
/// together and, on SIGTERM or SIGINT, stops the HTTP server first (no new requests; those in
/// flight finish), then these in reverse order, each after the one before it has finished:
/// the reloader and the updater stop changing weights; the webhook stops sending; the registry stops refreshing; the
/// ingest stops reading Kafka (what it has not committed is read again at the next start); the
/// event writer flushes what it holds, to the stores or its spool, while the state store's
/// pool and Redis can still take it; the hot-list recorder counts what is queued while its
/// Redis client is open; the clients close last.
struct ArmoryServices: Sendable {
    /// The PostgreSQL state store's connection pool (when the state is in PostgreSQL).
    var postgres: PostgresStateStore?
    /// The Redis client (when Redis is configured).
    var redis: RedisClient?
    /// Counts views and clicks in Redis (when Redis is configured).
    var hotList: HotListRecorder?
    /// Makes events durable (API roles).
    var writer: EventWriter?
    /// Moves events from Kafka into the metrics store (ingest roles, with Kafka).
    var ingest: KafkaIngest?
    /// Rebuilds the co-watched lists (API roles).
    var coWatch: CoWatchLists?
    /// Loads and refreshes the experiments.
    var registry: ExperimentRegistry
    /// Moves weights (worker roles).
    var updater: WeightUpdater?
    /// Reloads the experiment files on SIGHUP.
    var reloader: ReloadOnHangup
    /// Sends notices to `ARMORY_WEBHOOK_URL` (when set).
    var webhook: Webhook?

    /// The services in the order they are given to the service group; shutdown runs backwards.
    var inStartOrder: [any Service] {
        let ordered: [(any Service)?] = [postgres, redis, hotList, writer, ingest, coWatch, registry, webhook, updater, reloader]
        return ordered.compactMap { $0 }
    }
}
