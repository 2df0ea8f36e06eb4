import ArmoryStorage
import Foundation

/// Everything `armory serve` and `armory worker` need to know, with the embedded defaults: no
/// servers, SQLite files and the spool in `./.armory`, experiments in `./experiments`,
/// 127.0.0.1:8080. Read from flags and the environment by ``ServerConfiguration/init(environment:)``.
public struct ServerConfiguration: Sendable {
    /// Which parts of Armory a process runs.
    public enum Role: String, Sendable, Hashable, CaseIterable {
        /// The HTTP API only: any number of replicas.
        case api
        /// The weight updater only (one active at a time).
        case worker
        /// The Kafka ingest loop only (with `ARMORY_KAFKA_BROKERS`): events from the topic into
        /// the metrics store.
        case ingest
        /// All of them, in one process: the embedded default (the ingest loop only with Kafka).
        case all

        /// Whether the process serves the API (recommendations, events, results).
        public var servesHTTP: Bool { self == .api || self == .all }
        /// Whether the process runs the weight updater.
        public var updatesWeights: Bool { self == .worker || self == .all }
        /// Whether the process runs the Kafka ingest loop (when Kafka is configured).
        public var ingestsEvents: Bool { self == .ingest || self == .all }
    }

    /// Where the metrics live.
    public enum MetricsLocation: Sendable, Hashable, CustomStringConvertible {
        /// A SQLite file (the embedded default).
        case sqlite(path: String)
        /// A ClickHouse server, by its HTTP URL.
        case clickhouse(url: String)

        public var description: String {
            switch self {
            case .sqlite(let path): "SQLite file \(path)"
            case .clickhouse(let url): (try? ClickHouseClient(url: url))?.location ?? "ClickHouse"
            }
        }
    }

    /// The demo catalog seeded into an empty state store on first start.
    public struct DemoCatalog: Sendable, Hashable {
        /// Movies.
        public var movies = 5_000
        /// Users with views and likes.
        public var users = 10_000
        /// The generator's seed.
        public var seed: UInt64 = 1

        /// The defaults `armory demo seed` and `armory demo traffic` also use.
        public init(movies: Int = 5_000, users: Int = 10_000, seed: UInt64 = 1) {
            self.movies = movies
            self.users = users
            self.seed = seed
        }
    }

    /// The address to listen on.
    public var host = "127.0.0.1"
    /// The port to listen on; 0 picks a free one.
    public var port = 8080
    /// What this process runs.
    public var role = Role.all
    /// The folder of experiment files.
    public var experimentsDirectory = "experiments"
    /// The folder for the embedded stores, the event spool and generated secrets.
    public var dataDirectory = ".armory"
    /// The state store; `nil` means the SQLite file in ``dataDirectory``.
    public var state: StateStoreLocation?
    /// The metrics store; `nil` means the SQLite file in ``dataDirectory``.
    public var metrics: MetricsLocation?
    /// The ClickHouse cluster the metrics tables span (`nil`: one ClickHouse server).
    public var clickHouseCluster: String?
    /// The Kafka event queue (`nil`: events go straight to the metrics store).
    public var kafka: KafkaSettings?
    /// Redis for the hot-movies list (`redis://:password@host:6379`); `nil` answers popular
    /// lists from the state store.
    public var redisURL: String?
    /// Where trained models' artifacts live (`nil`: the folder `artifacts` in the data folder).
    public var artifacts: ArtifactLocation?
    /// The prefix of Armory's keys in Redis, so several installations can share one.
    public var redisKeyPrefix = "armory:hot"
    /// The bearer token that admin requests must carry; `nil` means the one in
    /// `<dataDirectory>/admin-token`, made on first start.
    public var adminToken: String?
    /// The secret decision ids are signed with (shared by every replica); `nil` means the one in
    /// `<dataDirectory>/decision-secret`, made on first start.
    public var decisionSecret: String?
    /// Where guardrail breaches, sample-ratio mismatches and weight and status changes are sent
    /// (`nil`: nowhere; the audit log has them all).
    public var webhook: Webhook.Configuration?
    /// Extra folders of algorithm modules, after the executable's own and `ARMORY_MODULES_DIR`.
    public var moduleDirectories: [String] = []
    /// The demo catalog to seed into an empty store; `nil` seeds nothing.
    public var demoCatalog: DemoCatalog? = DemoCatalog()
    /// How often a server polls the state store for weights and status changes made elsewhere.
    public var refreshInterval: Duration = .seconds(2)
    /// How often the weight updater looks for experiments due an update.
    public var updaterInterval: Duration = .seconds(1)
    /// How many module calls may run on Swift's cooperative threads at once (the rest run on
    /// module threads of their own); `nil` means one fewer than the cores, 0 means none.
    public var inlineModuleCalls: Int?
    /// How often the event writer flushes what clients wait for (posted events).
    public var flushInterval: Duration = .milliseconds(50)
    /// How long a graceful shutdown may take before what is left is cancelled (queued events
    /// are then spooled, never dropped).
    public var shutdownGracePeriod: Duration = .seconds(3)
    /// How long a results page's reads serve further loads of the page while the experiment's
    /// state (config, weights, status) stays the same; 0 reads on every load. The JSON routes
    /// always read anew.
    public var pageFreshness: Duration = .seconds(10)
    /// The HTTP limits: how long a connection may wait between request parts, and how large a
    /// request head may be.
    public var http = HTTPLimits()
    /// How often the co-watched lists are rebuilt from the state store's views and likes.
    public var coWatchRebuildInterval: Duration = .seconds(600)
    /// How long impressions may wait for a flush when no posted event goes with them; `nil`
    /// picks by store. ClickHouse wants few, large inserts (each is a part it writes and merges
    /// later): a second. SQLite is written by this process on these cores: a tenth of a second
    /// spreads the work into small steps instead of one long one that holds requests up.
    public var queuedEventDelay: Duration?

    /// The delay in force for the metrics store in use.
    public var effectiveQueuedEventDelay: Duration {
        if let queuedEventDelay { return queuedEventDelay }
        if case .clickhouse = metricsLocation { return .seconds(1) }
        return .milliseconds(100)
    }

    /// The embedded defaults.
    public init() {}

    /// The state store in use.
    public var stateLocation: StateStoreLocation {
        state ?? .sqlite(path: (dataDirectory as NSString).appendingPathComponent("armory.sqlite"))
    }

    /// The metrics store in use.
    public var metricsLocation: MetricsLocation {
        metrics ?? .sqlite(path: (dataDirectory as NSString).appendingPathComponent("metrics.sqlite"))
    }

    /// The folder of the event writer's spool.
    public var spoolDirectory: String {
        (dataDirectory as NSString).appendingPathComponent("spool")
    }
}
