import ArmoryCore
import ArmoryKit
import ArmoryStorage
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// Armory assembled from a ``ServerConfiguration``: algorithm modules loaded, stores opened and
/// migrated, the use cases made over them, and every long-running part a `Service` of one
/// service group (``ArmoryServices``, which states their order) with graceful shutdown.
public struct ArmoryApplication: Sendable {
    /// The configuration it was made from.
    public let configuration: ServerConfiguration
    /// The algorithm modules loaded (more load on reload).
    public let modules: AlgorithmModules
    /// The experiments served.
    public let registry: ExperimentRegistry
    /// The state store.
    public let store: any StateStore
    /// The metrics store.
    public let metricsStore: any MetricsStore
    /// Trained models: versions, aliases and artifacts.
    public let models: ModelRegistry
    /// Closes the artifact store (a remote one's HTTP client).
    let closeArtifacts: @Sendable () async -> Void
    /// The metrics `/metrics` shows.
    public let metrics: ServerMetrics
    /// The admin token in force.
    public let adminToken: String
    /// Signs decision ids.
    public let signer: DecisionSigner
    /// The long-running parts.
    let services: ArmoryServices
    /// Where weight and status changes and guardrail breaches are sent.
    let notifier: any Notifier
    /// What modules read: the state store's data, with Redis's popular lists when configured.
    let data: any DataSource
    /// The state store's data with its caches (the users' histories, the co-watched lists).
    let storeData: StoreDataSource
    let failures: ArmFailureCounts
    let logger: Logger

    /// The event writer (API roles only).
    public var writer: EventWriter? { services.writer }
    /// The weight updater (worker roles only).
    public var updater: WeightUpdater? { services.updater }

    /// Loads modules, opens and migrates the stores. Throws ``ConfigurationError`` (or a storage
    /// error) with a message that names what to fix.
    public static func make(
        configuration: ServerConfiguration, logger: Logger = Logger(label: "armory"),
        onSeed: @escaping @Sendable (String) -> Void = { _ in }
    ) async throws -> ArmoryApplication {
        try configuration.validate()
        try PortCheck.ensureFree(host: configuration.host, port: configuration.port)
        let modules = AlgorithmModules(loader: ModuleLoader(directories: ModuleLoader.defaultDirectories() + configuration.moduleDirectories),
                                       logger: logger)
        if let advice = modules.report.emptyAdvice { throw ConfigurationError(advice) }
        let adminToken = try configuration.adminToken ?? LocalSecret.load(named: "admin-token", in: configuration.dataDirectory)
        let secret = try configuration.decisionSecret ?? LocalSecret.load(named: "decision-secret", in: configuration.dataDirectory)

        let stores = try await Stores.open(configuration, logger: logger)
        let (artifacts, closeArtifacts) = try configuration.artifactLocation.open(cacheFolder: configuration.artifactCacheFolder)
        let models = ModelRegistry(store: stores.state, artifacts: artifacts)
        let metrics = ServerMetrics()
        let failures = ArmFailureCounts()
        let coWatch = CoWatchLists(store: stores.state, interval: configuration.coWatchRebuildInterval, logger: logger)
        let storeData = StoreDataSource(store: stores.state, coWatch: coWatch)
        let hotList = try configuration.redisURL.map { try HotList(url: $0, configuration: configuration, base: storeData, metrics: metrics, logger: logger) }
        let registry = ExperimentRegistry(
            directory: configuration.experimentsDirectory, store: stores.state, modules: modules, failures: failures,
            isolation: configuration.inlineModuleCalls.map { ModuleIsolation(inlineLimit: $0, executor: ModuleIsolation.shared.executor) } ?? .shared,
            refreshInterval: configuration.refreshInterval, models: models, logger: logger
        ) {
            // A worker never seeds: it starts beside the replicas, which would seed the same store at once.
            guard let demo = configuration.demoCatalog, configuration.role.servesHTTP else { return }
            try await DemoCatalogSeed(demo: demo, store: stores.state, report: onSeed).seedIfEmpty()
        }
        let webhook = configuration.webhook.map { Webhook(configuration: $0, metrics: metrics, logger: logger) }
        let notifier: any Notifier = webhook ?? NoNotifier()
        let services = ArmoryServices(
            postgres: stores.postgres, redis: hotList?.redis, hotList: hotList?.recorder,
            writer: try configuration.role.servesHTTP ? await makeWriter(configuration, stores: stores, logger: logger) : nil,
            ingest: configuration.role.ingestsEvents ? configuration.kafka.map { makeIngest($0, configuration, stores: stores, metrics: metrics, logger: logger) } : nil,
            coWatch: configuration.role.servesHTTP ? coWatch : nil, registry: registry,
            updater: configuration.role.updatesWeights ? WeightUpdater(
                registry: registry, store: stores.state, metricsStore: stores.metrics, lock: stores.lock,
                interval: configuration.updaterInterval, metrics: metrics, notifier: notifier, logger: logger) : nil,
            reloader: ReloadOnHangup(control: ExperimentControl(registry: registry, store: stores.state, notifier: notifier), logger: logger),
            webhook: webhook
        )
        return ArmoryApplication(
            configuration: configuration, modules: modules, registry: registry, store: stores.state, metricsStore: stores.metrics,
            models: models, closeArtifacts: closeArtifacts, metrics: metrics, adminToken: adminToken, signer: DecisionSigner(secret: Data(secret.utf8)), services: services, notifier: notifier,
            data: hotList?.source ?? storeData, storeData: storeData, failures: failures, logger: logger
        )
    }

    /// The event writer: into the metrics store, or into the Kafka topic when one is configured.
    private static func makeWriter(_ configuration: ServerConfiguration, stores: Stores, logger: Logger) async throws -> EventWriter {
        var writerConfiguration = EventWriter.Configuration(spoolDirectory: configuration.spoolDirectory)
        writerConfiguration.flushInterval = configuration.flushInterval
        writerConfiguration.queuedEventDelay = configuration.effectiveQueuedEventDelay
        var destination: any EventDestination = stores.metrics
        if let kafka = configuration.kafka {
            let queue = KafkaEventQueue(client: kafka.client, topic: kafka.kafkaTopic)
            do {
                try await queue.prepare()
            } catch {
                // Not fatal: events are spooled until the brokers answer.
                logger.warning("the Kafka topic is not reachable yet; events are spooled until it is",
                               metadata: ["kafka": "\(queue.location)", "error": "\(error)"])
            }
            destination = queue
        }
        return try EventWriter(destination: destination, history: stores.state, configuration: writerConfiguration, logger: logger)
    }

    private static func makeIngest(_ kafka: KafkaSettings, _ configuration: ServerConfiguration, stores: Stores,
                                   metrics: ServerMetrics, logger: Logger) -> KafkaIngest {
        let reader = KafkaEventReader(client: kafka.client, topic: kafka.kafkaTopic, group: kafka.group, logger: logger)
        let rejected = (configuration.dataDirectory as NSString).appendingPathComponent("kafka.rejected")
        var ingest = KafkaIngest.Configuration(partitions: kafka.ingestPartitions, rejectedFile: rejected)
        ingest.batchSize = kafka.ingestBatch
        return KafkaIngest(reader: reader, store: stores.metrics, configuration: ingest, metrics: metrics, logger: logger)
    }

    /// The HTTP API over this application's use cases.
    public var api: ArmoryAPI {
        let serving = services.writer.map { writer in
            (RecommendationService(registry: registry, data: data, signer: signer, writer: writer, metrics: metrics),
             EventIngest(registry: registry, signer: signer, writer: writer, histories: storeData, hotList: services.hotList, metrics: metrics))
        }
        return ArmoryAPI(registry: registry, modules: modules, models: models, store: store, metricsStore: metricsStore,
                         recommendations: serving?.0, ingest: serving?.1, writer: services.writer, coWatch: services.coWatch,
                         failures: failures, metrics: metrics, adminToken: adminToken, pageFreshness: configuration.pageFreshness,
                         notifier: notifier)
    }

    /// Runs until SIGTERM or SIGINT, then shuts down gracefully: the server stops taking
    /// requests and finishes those in flight, then the other services stop in the reverse of
    /// ``ArmoryServices/inStartOrder``. What has not finished after
    /// ``ServerConfiguration/shutdownGracePeriod`` is cancelled, so the process ends within
    /// seconds whatever is in flight.
    public func run(onListening: @escaping @Sendable (String) async -> Void = { _ in }) async throws {
        let app = makeHTTPApplication(onListening: onListening)
        var group = ServiceGroupConfiguration(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        group.maximumGracefulShutdownDuration = configuration.shutdownGracePeriod
        do {
            try await ServiceGroup(configuration: group).run()
        } catch {
            await closeArtifacts()
            throw error
        }
        await closeArtifacts()
    }
}
