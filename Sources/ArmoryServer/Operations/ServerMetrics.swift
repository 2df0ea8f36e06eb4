import ArmoryStorage
import CoreMetrics
import Foundation
import Prometheus
import NIOConcurrencyHelpers
import Synchronization

/// The server's metrics, recorded through swift-metrics into a Prometheus registry of its own
/// (so two servers in one process, as in tests, never share counters) and rendered by
/// ``render(writer:failures:)`` for `GET /metrics`. Labels are route templates, experiments,
/// arms and kinds — never users or movies.
public final class ServerMetrics: Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    private let counters = NIOLockedValueBox<[Int: [Cached<CoreMetrics.Counter>]]>([:])
    private let timers = NIOLockedValueBox<[Int: [Cached<CoreMetrics.Timer>]]>([:])
    private let gauges = NIOLockedValueBox<[Int: [Cached<CoreMetrics.Gauge>]]>([:])
    /// What has been exported of counts kept elsewhere (module failures, the writer's totals).
    private let exported = Mutex<[String: Int]>([:])

    /// Empty metrics.
    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        // Fine buckets at the low end: the recommendation target is p99 ≤ 10 ms.
        factory.defaultDurationHistogramBuckets = [0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000]
            .map { Duration.microseconds(Int64($0 * 1_000)) }
        self.factory = factory
    }

    /// A metric made for a name and labels, kept under their hash.
    private struct Cached<Metric: Sendable>: Sendable {
        var name: String
        var labels: [(String, String)]
        var metric: Metric

        func matches(_ name: String, _ labels: [(String, String)]) -> Bool {
            self.name == name && self.labels.elementsEqual(labels) { $0.0 == $1.0 && $0.1 == $1.1 }
        }
    }

    /// Adds `amount` to the counter `name` with `labels`.
    public func increment(_ name: String, _ labels: [(String, String)] = [], by amount: Int = 1) {
        Self.cached(in: counters, name, labels) { CoreMetrics.Counter(label: name, dimensions: labels, factory: factory) }
            .increment(by: amount)
    }

    /// Records a duration in the histogram `name`.
    public func record(_ name: String, _ labels: [(String, String)], nanoseconds: Int64) {
        Self.cached(in: timers, name, labels) { CoreMetrics.Timer(label: name, dimensions: labels, factory: factory) }
            .recordNanoseconds(nanoseconds)
    }

    /// Sets the gauge `name`.
    public func set(_ name: String, _ labels: [(String, String)] = [], to value: Double) {
        Self.cached(in: gauges, name, labels) { CoreMetrics.Gauge(label: name, dimensions: labels, factory: factory) }
            .record(value)
    }

    /// The metric for `name` and `labels` from `cache`, made by `make` the first time. Found by
    /// hashing the name and labels, with no key string built: this runs a few times per request.
    private static func cached<Metric: Sendable>(
        in cache: NIOLockedValueBox<[Int: [Cached<Metric>]]>, _ name: String, _ labels: [(String, String)], make: () -> Metric
    ) -> Metric {
        var hasher = Hasher()
        hasher.combine(name)
        for (label, value) in labels {
            hasher.combine(label)
            hasher.combine(value)
        }
        let hash = hasher.finalize()
        return cache.withLockedValue { metrics in
            if let hit = metrics[hash]?.first(where: { $0.matches(name, labels) }) { return hit.metric }
            let metric = make()
            metrics[hash, default: []].append(Cached(name: name, labels: labels, metric: metric))
            return metric
        }
    }

    /// Brings the counter `name` up to `total`, a count kept elsewhere that only grows.
    public func catchUp(_ name: String, _ labels: [(String, String)] = [], to total: Int) {
        let key = ([name] + labels.map { "\($0.0)=\($0.1)" }).joined(separator: "\u{1}")
        let delta = exported.withLock { exported in
            defer { exported[key] = max(exported[key] ?? 0, total) }
            return total - (exported[key] ?? 0)
        }
        // Touch the counter even at zero, so it is listed from the first scrape.
        increment(name, labels, by: max(delta, 0))
    }

    /// The Prometheus text exposition, after copying in the gauges and totals kept by the event
    /// writer, the co-watch lists and the module failure counters.
    public func render(writer: EventWriter.Statistics?, coWatch: CoWatchLists.Status? = nil, failures: ArmFailureCounts) -> String {
        if let writer {
            set("armory_event_queue_events", to: Double(writer.queued))
            set("armory_event_spool_bytes", to: Double(writer.spoolBytes))
            catchUp("armory_events_inserted_total", to: writer.inserted)
            catchUp("armory_events_spooled_total", to: writer.spooled)
            catchUp("armory_event_store_failures_total", to: writer.failures)
            catchUp("armory_history_append_failures_total", to: writer.historyFailures)
            set("armory_history_spool_bytes", to: Double(writer.historySpoolBytes))
            catchUp("armory_history_spooled_total", to: writer.historySpooled)
            catchUp("armory_history_rejected_total", to: writer.historyRejected)
        }
        if let coWatch {
            set("armory_co_watch_built_timestamp_seconds", to: coWatch.builtAt?.timeIntervalSince1970 ?? 0)
            set("armory_co_watch_build_seconds", to: coWatch.buildSeconds)
            set("armory_co_watch_pairs", to: Double(coWatch.pairs))
            set("armory_co_watch_movies", to: Double(coWatch.movies))
            catchUp("armory_co_watch_build_failures_total", to: coWatch.failures)
        }
        for (key, count) in failures.snapshot() {
            catchUp("armory_module_failures_total", [("experiment", key.experiment), ("arm", key.arm), ("kind", key.kind.rawValue)], to: count)
        }
        return registry.emitToString()
    }
}
