import ArmoryCore
import ArmoryStorage
import Foundation
import Logging
import ServiceLifecycle

/// The ingest loop: moves events from the Kafka topic into the metrics store, and owns the
/// guarantee that every event on the topic counts once.
///
/// It reads from its consumer group's committed offsets, gathers a batch (up to `batchSize`
/// events, or what arrived within `batchDelay`: ClickHouse wants few large inserts), inserts it,
/// and commits the offsets after the batch only once the store has it. A store that fails is
/// tried again with the same batch (the lag grows meanwhile); a crash before the commit reads
/// the batch again after the restart, and the store counts the repeat once. Records that are
/// not events are kept in `kafka.rejected` in the data folder, for a person to look at.
public final class KafkaIngest: Service, Sendable {
    public struct Configuration: Sendable {
        /// The partitions this process reads (`nil`: all).
        public var partitions: [Int32]?
        /// The most events per insert.
        public var batchSize = 50_000
        /// How long the first event of a batch may wait for more.
        public var batchDelay: Duration = .seconds(1)
        /// How long to wait before trying a failed store or broker again.
        public var retryInterval: Duration = .seconds(1)
        /// Where unreadable records are kept.
        public var rejectedFile: String

        public init(partitions: [Int32]? = nil, rejectedFile: String) {
            self.partitions = partitions
            self.rejectedFile = rejectedFile
        }
    }

    let reader: KafkaEventReader
    let store: any MetricsStore
    let configuration: Configuration
    let metrics: ServerMetrics
    let logger: Logger

    public init(reader: KafkaEventReader, store: any MetricsStore, configuration: Configuration, metrics: ServerMetrics, logger: Logger) {
        self.reader = reader
        self.store = store
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            guard var offsets = await self.startingOffsets() else { return }
            self.logger.info("ingesting events from Kafka", metadata: [
                "topic": "\(self.reader.topic.name)", "group": "\(self.reader.group)", "partitions": "\(offsets.keys.sorted())"])
            while !Task.isCancelled {
                guard let batch = await self.gather(from: offsets) else { continue }
                guard await self.store(batch, committed: offsets) else { return }
                await self.commit(batch.next)
                offsets = batch.next
                self.report(ends: batch.ends, committed: offsets)
            }
        }
        await reader.client.close()
    }

    /// The offsets to start from, asking again until the broker answers (`nil`: shut down first).
    private func startingOffsets() async -> [Int32: Int64]? {
        while !Task.isCancelled {
            do {
                let partitions = try await reader.partitions(assigned: configuration.partitions)
                return try await reader.startingOffsets(partitions)
            } catch {
                fail("start", error)
                try? await Task.sleep(for: configuration.retryInterval)
            }
        }
        return nil
    }

    /// Reads until a batch is full or its first event has waited `batchDelay`; `nil` when
    /// nothing arrived or the broker failed.
    private func gather(from offsets: [Int32: Int64]) async -> KafkaEventReader.Batch? {
        var gathered = KafkaEventReader.Batch(next: offsets)
        var firstAt: ContinuousClock.Instant?
        while !Task.isCancelled, gathered.events.count < configuration.batchSize {
            let wait = firstAt.map { configuration.batchDelay - (ContinuousClock.now - $0) } ?? .milliseconds(500)
            guard wait > .zero else { break }
            do {
                let batch = try await reader.read(from: gathered.next, maxWait: min(wait, .milliseconds(500)),
                                                  limit: configuration.batchSize - gathered.events.count)
                if firstAt == nil, !batch.events.isEmpty || !batch.unreadable.isEmpty { firstAt = .now }
                if firstAt == nil, !batch.unavailable.isEmpty {
                    // A broker answers that at once: wait rather than ask again straight away.
                    fail("fetch", KafkaError(code: 5, "partitions \(batch.unavailable) are not available now"))
                    try? await Task.sleep(for: configuration.retryInterval)
                    return nil
                }
                gathered.events += batch.events
                gathered.unreadable += batch.unreadable
                gathered.next = batch.next
                gathered.ends.merge(batch.ends) { $1 }
                report(ends: gathered.ends, committed: offsets)
                if firstAt == nil { return gathered.next == offsets ? nil : gathered }
            } catch {
                fail("fetch", error)
                if firstAt == nil {
                    try? await Task.sleep(for: configuration.retryInterval)
                    return nil
                }
                break
            }
        }
        return firstAt == nil ? nil : gathered
    }

    /// Inserts the batch, trying again until the store has it; false when shut down first
    /// (nothing is committed then, so the batch is read again at the next start).
    private func store(_ batch: KafkaEventReader.Batch, committed: [Int32: Int64]) async -> Bool {
        setAside(batch.unreadable)
        guard !batch.events.isEmpty else { return true }
        let started = ContinuousClock.now
        while !Task.isCancelled {
            do {
                try await store.insert(batch.events)
                metrics.increment("armory_kafka_ingested_events_total", by: batch.events.count)
                let elapsed = ContinuousClock.now - started
                metrics.record("armory_kafka_ingest_insert_seconds", [],
                               nanoseconds: elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
                return true
            } catch {
                fail("insert", error)
                try? await Task.sleep(for: configuration.retryInterval)
                // The lag goes on growing while the store is away: keep it in view.
                if let ends = try? await reader.ends(from: batch.next) { report(ends: ends, committed: committed) }
            }
        }
        return false
    }

    /// Commits the offsets; a failure is logged and left (the next commit carries it, and a
    /// restart before then reads the batch again, which counts once).
    private func commit(_ offsets: [Int32: Int64]) async {
        do {
            try await reader.commit(offsets)
        } catch {
            fail("commit", error)
        }
    }

    /// The lag per partition: events on the topic that are not yet in the store (written,
    /// and not yet committed by this ingest).
    private func report(ends: [Int32: Int64], committed: [Int32: Int64]) {
        for (partition, end) in ends {
            let lag = max(0, end - (committed[partition] ?? end))
            metrics.set("armory_kafka_ingest_lag", [("partition", String(partition))], to: Double(lag))
        }
    }

    private func fail(_ stage: String, _ error: any Error) {
        metrics.increment("armory_kafka_ingest_failures_total", [("stage", stage)])
        logger.warning("Kafka ingest: \(stage) failed; trying again", metadata: ["error": "\(error)"])
    }

    private func setAside(_ unreadable: [(partition: Int32, record: KafkaRecord)]) {
        guard !unreadable.isEmpty else { return }
        metrics.increment("armory_kafka_ingest_rejected_total", by: unreadable.count)
        let lines = unreadable.map { entry -> String in
            let value = entry.record.value.map { Data($0.readableBytesView).base64EncodedString() } ?? ""
            return "{\"partition\":\(entry.partition),\"offset\":\(entry.record.offset),\"value_base64\":\"\(value)\"}\n"
        }.joined()
        do {
            if !FileManager.default.fileExists(atPath: configuration.rejectedFile) {
                _ = FileManager.default.createFile(atPath: configuration.rejectedFile, contents: nil)
            }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: configuration.rejectedFile))
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(lines.utf8))
        } catch {
            logger.error("cannot keep unreadable Kafka records", metadata: ["error": "\(error)"])
        }
        logger.error("records on the Kafka topic that are not Armory events were set aside",
                     metadata: ["count": "\(unreadable.count)", "file": "\(configuration.rejectedFile)"])
    }
}
