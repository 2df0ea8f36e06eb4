import ArmoryCore
import ArmoryKit
import ArmoryStorage
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// The stores a configuration names, opened and migrated.
struct Stores {
    var state: any StateStore
    var metrics: any MetricsStore
    /// Who may update weights: one process at a time.
    var lock: any LeaderLock
    /// The state store's pool, a service of its own, when it is PostgreSQL.
    var postgres: PostgresStateStore?

    static func open(_ configuration: ServerConfiguration, logger: Logger) async throws -> Stores {
        var stores: Stores
        switch configuration.stateLocation {
        case .sqlite(let path):
            stores = Stores(state: try SQLiteStateStore(path: path), metrics: try makeMetricsStore(configuration), lock: ProcessLeaderLock())
        case .postgres(let endpoint):
            let postgres = PostgresStateStore(endpoint: endpoint, logger: logger)
            stores = Stores(state: postgres, metrics: try makeMetricsStore(configuration),
                            lock: PostgresLeaderLock(endpoint: endpoint, logger: logger), postgres: postgres)
        }
        try await stores.state.migrate()
        do {
            try await stores.metrics.prepare()
        } catch {
            throw ConfigurationError("\(stores.metrics.location) cannot be prepared: \(error)")
        }
        return stores
    }

    private static func makeMetricsStore(_ configuration: ServerConfiguration) throws -> any MetricsStore {
        switch configuration.metricsLocation {
        case .sqlite(let path): try SQLiteMetricsStore(path: path)
        case .clickhouse(let url): ClickHouseMetricsStore(client: try ClickHouseClient(url: url), cluster: configuration.clickHouseCluster)
        }
    }
}

/// The Redis parts: the client, the popular lists read from it, the recorder that counts into it.
struct HotList {
    var redis: RedisClient
    var source: HotListDataSource
    var recorder: HotListRecorder

    init(url: String, configuration: ServerConfiguration, base: StoreDataSource, metrics: ServerMetrics, logger: Logger) throws {
        redis = try RedisClient(url: url)
        let hot = HotMovies(redis: redis, prefix: configuration.redisKeyPrefix)
        let onFailure: @Sendable (String) -> Void = { operation in
            metrics.increment("armory_redis_failures_total", [("operation", operation)])
        }
        source = HotListDataSource(base: base, hot: hot, logger: logger, onFailure: onFailure)
        recorder = HotListRecorder(hot: hot, movies: base, logger: logger, onFailure: onFailure)
    }
}

/// Seeds the demo catalog into an empty state store at first start (and again from the start
/// when a previous seed was stopped before its end).
struct DemoCatalogSeed {
    let demo: ServerConfiguration.DemoCatalog
    let store: any StateStore
    /// Told each step, for the person waiting.
    let report: @Sendable (String) -> Void

    func seedIfEmpty() async throws {
        let counts = try await store.counts()
        guard counts.movies == 0 else { return }
        if DemoSeeder.isPartial(counts) {
            report("the demo seed in \(store.location) was stopped before its end; seeding it again from the start")
            try await store.clearCatalogAndActivity()
        }
        report("seeding the demo catalog into \(store.location) (first start): \(demo.movies) movies, \(demo.users) users")
        let step = max(1, demo.users / 10)
        let summary = try await DemoSeeder(data: DemoData(movies: demo.movies, users: demo.users, seed: demo.seed)).seed(into: store) { users in
            if users % step < DemoSeeder.defaultUsersPerBatch, users < demo.users { report("  \(users) of \(demo.users) users…") }
        }
        report("seeded \(summary.views) views and \(summary.likes) likes in \(String(format: "%.1f", summary.seconds)) s")
    }
}

extension ArmoryApplication {
    /// The Hummingbird application: the router, with every other part as its services; it
    /// starts listening once the experiments are loaded and the caches are warm.
    /// `onListening` gets the bound address.
    public func makeHTTPApplication(onListening: @escaping @Sendable (String) async -> Void = { _ in }) -> some ApplicationProtocol {
        let limits = configuration.http
        let decoder = HTTP1Channel.Configuration.DecoderConfiguration(
            maxHeaderFieldSize: limits.maximumHeadBytes, maxHeaderListSize: limits.maximumHeadBytes, maxHeaderFieldCount: limits.maximumHeaderFields)
        let host = configuration.host
        let port = configuration.port
        var app = Application(
            router: api.makeRouter(),
            server: .http1(configuration: .init(
                additionalChannelHandlers: [
                    MalformedRequestHandler(),
                    RequestBodyLimitsHandler(maximumBodyBytes: limits.maximumBodyBytes, bodyTimeout: TimeAmount(limits.bodyTimeout)),
                ],
                idleTimeout: TimeAmount(limits.idleTimeout), httpDecoderConfiguration: decoder)),
            configuration: .init(address: .hostname(host, port: port),
                                 availableConnectionsDelegate: MaximumAvailableConnections(limits.maximumConnections)),
            services: services.inStartOrder,
            onServerRunning: { channel in
                let address = channel.localAddress.map { "\($0.ipAddress ?? host):\($0.port ?? port)" }
                await onListening(address ?? "\(host):\(port)")
            },
            logger: logger
        )
        let registry = registry
        let data = data
        let storeData = configuration.role.servesHTTP ? storeData : nil
        app.beforeServerStarts {
            try await registry.waitUntilLoaded()
            // Warm what every first request needs: the movie catalog, the co-watch lists, recent
            // users' histories, and each arm's first list, with no budget (a popular list over
            // a large catalog takes seconds to count in a debug build; the first requests would
            // otherwise overrun theirs).
            try await storeData?.warmUp()
            _ = try await data.catalog()
            for live in registry.experiments {
                await live.recommender.warmUp(RecommendationRequest(userID: "armory-warm-up", limit: 10), data: data)
            }
        }
        return app
    }
}
