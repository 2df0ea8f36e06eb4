import ArmoryCore
import ArmoryKit
import ArmoryStorage
import Foundation
import Hummingbird
import HummingbirdCore
import NIOCore
import Logging
import ServiceLifecycle
import UnixSignals

/// Armory assembled from a ``ServerConfiguration``: algorithm modules loaded, stores opened and
/// migrated, and every long-running part — the PostgreSQL pool, the event writer, the
/// experiment catalog, the weight updater, the SIGHUP reloader, the HTTP server — made a
/// `Service` of one service group with graceful shutdown (the writer drains last-but-one,
/// after the server stops taking requests, before the pool closes).
public struct ArmoryApplication: Sendable {
    /// The configuration it was made from.
    public let configuration: ServerConfiguration
    /// The algorithm modules loaded (more load on reload).
    public let modules: AlgorithmModules
    /// The experiments.
    public let catalog: ExperimentCatalog
    /// The state store.
    public let store: any StateStore
    /// The metrics store.
    public let metricsStore: any MetricsStore
    /// The event writer (API roles only).
    public let writer: EventWriter?
    /// The weight updater (worker roles only).
    public let updater: WeightUpdater?
    /// The metrics `/metrics` shows.
    public let metrics: ServerMetrics
    /// The admin token in force.
    public let adminToken: String
    /// Signs decision ids.
    public let signer: DecisionSigner
    private let backgroundServices: [any Service]
    private let logger: Logger

    /// Loads modules, opens and migrates the stores. Throws ``ConfigurationError`` (or a storage
    /// error) with a message that names what to fix.
    public static func make(
        configuration: ServerConfiguration, logger: Logger = Logger(label: "armory"),
        onSeed: @escaping @Sendable (String) -> Void = { _ in }
    ) async throws -> ArmoryApplication {
        try configuration.validate()
        try PortCheck.ensureFree(host: configuration.host, port: configuration.port)
        let modules = AlgorithmModules(loader: ModuleLoader(directories: ModuleLoader.defaultDirectories() + configuration.pluginDirectories),
                                       logger: logger)
        if let advice = modules.report.emptyAdvice { throw ConfigurationError(advice) }

        let adminToken = try configuration.adminToken ?? LocalSecret.load(named: "admin-token", in: configuration.dataDirectory)
        let secret = try configuration.decisionSecret ?? LocalSecret.load(named: "decision-secret", in: configuration.dataDirectory)
        var background: [any Service] = []

        let store: any StateStore
        let lock: any LeaderLock
        switch configuration.stateLocation {
        case .sqlite(let path):
            store = try SQLiteStateStore(path: path)
            lock = ProcessLeaderLock()
        case .postgres(let endpoint):
            let postgres = PostgresStateStore(endpoint: endpoint, logger: logger)
            background.append(postgres)
            store = postgres
            lock = PostgresLeaderLock(endpoint: endpoint, logger: logger)
        }
        try await store.migrate()

        let metricsStore: any MetricsStore = switch configuration.metricsLocation {
        case .sqlite(let path): try SQLiteMetricsStore(path: path)
        case .clickhouse(let url): ClickHouseMetricsStore(client: try ClickHouseClient(url: url))
        }
        do {
            try await metricsStore.prepare()
        } catch {
            throw ConfigurationError("\(metricsStore.location) cannot be prepared: \(error)")
        }

        let metrics = ServerMetrics()
        let failures = ArmFailureCounts()
        let coWatch = CoWatchLists(store: store, interval: configuration.coWatchRebuildInterval, logger: logger)
        let storeData = StoreDataSource(store: store, coWatch: coWatch)
        var hotList: HotListDataSource?
        if let url = configuration.redisURL {
            let redis = try RedisClient(url: url)
            background.append(redis)
            let source = HotListDataSource(base: storeData, hot: HotMovies(redis: redis, prefix: configuration.redisKeyPrefix), logger: logger) { operation in
                metrics.increment("armory_redis_failures_total", [("operation", operation)])
            }
            // After the client: shut down first, while the client can still take the queued views.
            background.append(source)
            hotList = source
        }
        let data: any DataSource = hotList ?? storeData
        let demo = configuration.demoCatalog
        let catalog = ExperimentCatalog(
            directory: configuration.experimentsDirectory, store: store, modules: modules, failures: failures,
            isolation: configuration.inlineModuleCalls.map { ModuleIsolation(inlineLimit: $0, executor: ModuleIsolation.shared.executor) } ?? .shared,
            refreshInterval: configuration.refreshInterval, logger: logger
        ) {
            // A worker never seeds: it starts beside the replicas, which would seed the same store at once.
            guard let demo, configuration.role.servesHTTP else { return }
            let counts = try await store.counts()
            guard counts.movies == 0 else { return }
            if DemoSeeder.isPartial(counts) {
                onSeed("the demo seed in \(store.location) was stopped before its end; seeding it again from the start")
                try await store.clearCatalogAndActivity()
            }
            onSeed("seeding the demo catalog into \(store.location) (first start): \(demo.movies) movies, \(demo.users) users")
            let step = max(1, demo.users / 10)
            let summary = try await DemoSeeder(data: DemoData(movies: demo.movies, users: demo.users, seed: demo.seed)).seed(into: store) { users in
                if users % step < DemoSeeder.defaultUsersPerBatch, users < demo.users { onSeed("  \(users) of \(demo.users) users…") }
            }
            onSeed("seeded \(summary.views) views and \(summary.likes) likes in \(String(format: "%.1f", summary.seconds)) s")
        }

        var writer: EventWriter?
        if configuration.role.servesHTTP {
            var writerConfiguration = EventWriter.Configuration(spoolDirectory: configuration.spoolDirectory)
            writerConfiguration.flushInterval = configuration.flushInterval
            writerConfiguration.queuedEventDelay = configuration.effectiveQueuedEventDelay
            let eventWriter = try EventWriter(store: metricsStore, history: store, configuration: writerConfiguration, logger: logger) { views, likes in
                storeData.record(views: views, likes: likes)
            }
            background.append(eventWriter)
            writer = eventWriter
            background.append(coWatch)
        }
        background.append(catalog)
        var updater: WeightUpdater?
        if configuration.role.updatesWeights {
            let weightUpdater = WeightUpdater(catalog: catalog, store: store, metricsStore: metricsStore, lock: lock,
                                              interval: configuration.updaterInterval, metrics: metrics, logger: logger)
            background.append(weightUpdater)
            updater = weightUpdater
        }
        background.append(ReloadOnHangup(catalog: catalog, store: store, logger: logger))
        return ArmoryApplication(
            configuration: configuration, modules: modules, catalog: catalog, store: store, metricsStore: metricsStore,
            writer: writer, updater: updater, metrics: metrics, adminToken: adminToken, signer: DecisionSigner(secret: Data(secret.utf8)),
            backgroundServices: background, logger: logger, failures: failures, data: data, hotList: hotList,
            coWatch: coWatch, storeData: storeData
        )
    }

    private let failures: ArmFailureCounts
    private let data: any DataSource
    private let hotList: HotListDataSource?
    private let coWatch: CoWatchLists
    private let storeData: StoreDataSource

    private init(
        configuration: ServerConfiguration, modules: AlgorithmModules, catalog: ExperimentCatalog, store: any StateStore,
        metricsStore: any MetricsStore, writer: EventWriter?, updater: WeightUpdater?, metrics: ServerMetrics, adminToken: String,
        signer: DecisionSigner, backgroundServices: [any Service], logger: Logger,
        failures: ArmFailureCounts, data: any DataSource, hotList: HotListDataSource?, coWatch: CoWatchLists, storeData: StoreDataSource
    ) {
        self.configuration = configuration
        self.modules = modules
        self.catalog = catalog
        self.store = store
        self.metricsStore = metricsStore
        self.writer = writer
        self.updater = updater
        self.metrics = metrics
        self.adminToken = adminToken
        self.signer = signer
        self.backgroundServices = backgroundServices
        self.logger = logger
        self.failures = failures
        self.data = data
        self.hotList = hotList
        self.coWatch = coWatch
        self.storeData = storeData
    }

    /// The HTTP API over this application's parts.
    public var api: ArmoryAPI {
        ArmoryAPI(catalog: catalog, modules: modules, store: store, metricsStore: metricsStore,
                  writer: writer, signer: signer, data: data, hotList: hotList, coWatch: coWatch, failures: failures, metrics: metrics,
                  adminToken: adminToken)
    }

    /// The Hummingbird application: the router, with every other part as its services; it
    /// starts listening once the experiments are loaded. `onListening` gets the bound address.
    public func makeHTTPApplication(onListening: @escaping @Sendable (String) async -> Void = { _ in }) -> some ApplicationProtocol {
        let limits = configuration.http
        let decoder = HTTP1Channel.Configuration.DecoderConfiguration(
            maxHeaderFieldSize: limits.maximumHeadBytes, maxHeaderListSize: limits.maximumHeadBytes, maxHeaderFieldCount: limits.maximumHeaderFields)
        var app = Application(
            router: api.makeRouter().router,
            server: .http1(configuration: .init(additionalChannelHandlers: [
                MalformedRequestHandler(),
                RequestBodyLimitsHandler(maximumBodyBytes: limits.maximumBodyBytes, bodyTimeout: TimeAmount(limits.bodyTimeout)),
            ],
                                                idleTimeout: TimeAmount(limits.idleTimeout), httpDecoderConfiguration: decoder)),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port),
                                 availableConnectionsDelegate: MaximumAvailableConnections(limits.maximumConnections)),
            services: backgroundServices,
            onServerRunning: { channel in
                let address = channel.localAddress.map { "\($0.ipAddress ?? configuration.host):\($0.port ?? configuration.port)" }
                await onListening(address ?? "\(configuration.host):\(configuration.port)")
            },
            logger: logger
        )
        let catalog = catalog
        let data = data
        let storeData = configuration.role.servesHTTP ? storeData : nil
        app.beforeServerStarts {
            try await catalog.waitUntilLoaded()
            // Warm what every first request needs: the movie catalog, the co-watch lists, recent
            // users' histories, and each arm's first list, with no budget (the all-time popular
            // list of the demo catalog takes seconds to count in a debug build; the first
            // requests would otherwise overrun theirs).
            try await storeData?.warmUp()
            _ = try await data.catalog()
            for live in catalog.experiments {
                await live.recommender.warmUp(RecommendationRequest(userID: "armory-warm-up", limit: 10), data: data)
            }
        }
        return app
    }

    /// Runs until SIGTERM or SIGINT, then shuts down gracefully: the server stops taking
    /// requests and finishes those in flight, queued events are written or spooled. What has
    /// not finished after ``ServerConfiguration/shutdownGracePeriod`` is cancelled, so the
    /// process ends within seconds whatever is in flight.
    public func run(onListening: @escaping @Sendable (String) async -> Void = { _ in }) async throws {
        let app = makeHTTPApplication(onListening: onListening)
        var group = ServiceGroupConfiguration(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        group.maximumGracefulShutdownDuration = configuration.shutdownGracePeriod
        try await ServiceGroup(configuration: group).run()
    }
}

/// Reloads the experiment files on SIGHUP, as `POST /v1/admin/reload` does.
struct ReloadOnHangup: Service {
    let catalog: ExperimentCatalog
    let store: any StateStore
    let logger: Logger

    func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        try await catalog.waitUntilLoaded()
        await cancelWhenGracefulShutdown {
            for await _ in hangups {
                do {
                    let report = try await catalog.reload(actor: "sighup")
                    _ = try await store.appendAuditEntry(.init(
                        experimentID: nil, actor: "sighup", action: "reload", reason: "SIGHUP",
                        detail: "loaded=\(report.loaded.count) refused=\(report.refused.map(\.file)) removed=\(report.removed)", createdAt: Date()))
                } catch {
                    logger.error("reload on SIGHUP failed", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
