import ArmoryCore
import Synchronization
import ArmoryKit
import ArmoryStorage
import Foundation
import Logging
import Testing
import ArmoryTestSupport

/// The writer against real stores, including a ClickHouse outage and a killed process.
/// Serialized with the other ClickHouse suite's tests by running alone: it stops the server.
extension UsesClickHouse {
    @Suite("EventWriter: batches, backpressure, a durable spool, and nothing lost or doubled")
    struct EventWriterTests {
        static let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

        static func impressions(_ prefix: String, count: Int, experiment: String = "rail") -> [Event] {
            (0..<count).map { Event(eventID: "\(prefix)-\($0)", type: .impression, time: Date(), decisionID: "\(prefix)-\($0)",
                                    experiment: experiment, arm: $0 % 2 == 0 ? "a" : "b", userID: "u\($0)") }
        }

        static func temporaryDirectory() -> String {
            FileManager.default.temporaryDirectory.appendingPathComponent("armory-spool-\(UUID().uuidString)").path
        }

        /// Runs `body` with `writer` running, then stops it and waits for it to drain.
        static func running<T>(_ writer: EventWriter, _ body: () async throws -> T) async throws -> T {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await writer.run() }
                let result = try await body()
                writer.stop()
                try await group.waitForAll()
                return result
            }
        }

        @Test("many concurrent writers: every acknowledged event is counted once", arguments: MetricsKind.allCases)
        func concurrentWriters(kind: MetricsKind) async throws {
            try await TestMetrics.withFreshStore(kind) { store in
                let writer = try EventWriter(destination: store, configuration: .init(spoolDirectory: Self.temporaryDirectory()), logger: Self.quiet)
                try await Self.running(writer) {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for lane in 0..<20 {
                            group.addTask { for batch in 0..<10 { try await writer.write(Self.impressions("l\(lane)-b\(batch)", count: 50)) } }
                        }
                        try await group.waitForAll()
                    }
                }
                let totals = try await store.aggregates([ExperimentPhase(experiment: "rail", since: .distantPast)])
                #expect(totals.map(\.trials).reduce(0, +) == 10_000)
                #expect(writer.statistics.inserted == 10_000 && writer.statistics.failures == 0 && writer.statistics.queued == 0)
            }
        }

        @Test("queued impressions wait for one larger insert, unless a posted event or a full batch comes first")
        func queuedEventsWait() async throws {
            try await TestMetrics.withFreshStore(.clickhouse) { store in
                var configuration = EventWriter.Configuration(spoolDirectory: Self.temporaryDirectory())
                configuration.flushInterval = .milliseconds(20)
                // Long, so that "before the delay" stays distinguishable on a loaded machine.
                configuration.queuedEventDelay = .seconds(5)
                configuration.batchSize = 500
                let writer = try EventWriter(destination: store, configuration: configuration, logger: Self.quiet)
                /// How long from `start` until `inserted` events are in the store (polled every 10 ms, up to 10 s).
                func timeUntilInserted(_ inserted: Int, since start: ContinuousClock.Instant = .now) async throws -> Duration {
                    while writer.statistics.inserted < inserted, ContinuousClock.now - start < .seconds(10) {
                        try await Task.sleep(for: .milliseconds(10))
                    }
                    return ContinuousClock.now - start
                }
                try await Self.running(writer) {
                    // Alone, they wait for the delay (many flush intervals) and then go. (Timed from
                    // the enqueue: on a loaded machine the half-second sleep can run long.)
                    let enqueued = ContinuousClock.now
                    try writer.enqueue(Self.impressions("alone", count: 10))
                    try await Task.sleep(for: .milliseconds(500))
                    #expect(ContinuousClock.now - enqueued >= .seconds(5) || writer.statistics.inserted == 0)
                    #expect(writer.statistics.queued + writer.statistics.inserted == 10)
                    let waited = try await timeUntilInserted(10, since: enqueued)
                    #expect(waited >= .seconds(5) && waited < .seconds(8), "queued impressions were inserted after \(waited)")

                    // A posted event is acknowledged within a flush or two, and takes them along.
                    try writer.enqueue(Self.impressions("along", count: 10))
                    let start = ContinuousClock.now
                    try await writer.write(Self.impressions("posted", count: 1))
                    #expect(ContinuousClock.now - start < .seconds(4), "acknowledged before the impressions' delay")
                    #expect(writer.statistics.inserted == 21 && writer.statistics.queued == 0)

                    // A full batch does not wait.
                    try writer.enqueue(Self.impressions("full", count: 500))
                    #expect(try await timeUntilInserted(521) < .seconds(4), "inserted before the delay")
                }
                let totals = try await store.aggregates([ExperimentPhase(experiment: "rail", since: .distantPast)])
                #expect(totals.map(\.trials).reduce(0, +) == 521)
            }
        }

        @Test("a full queue answers Busy at once instead of growing")
        func busy() async throws {
            try await TestMetrics.withFreshStore(.sqlite) { store in
                var configuration = EventWriter.Configuration(spoolDirectory: Self.temporaryDirectory())
                configuration.capacity = 100
                let writer = try EventWriter(destination: store, configuration: configuration, logger: Self.quiet)
                // Not running: nothing drains the queue.
                let accepted = Task { try await writer.write(Self.impressions("first", count: 100)) }
                try await Task.sleep(for: .milliseconds(50))
                await #expect(throws: StorageError(.busy, "the event queue is full; retry shortly")) { try await writer.write(Self.impressions("more", count: 1)) }
                #expect(writer.statistics.queued == 100)
                try await Self.running(writer) { try await accepted.value }
                #expect(writer.statistics.inserted == 100)
            }
        }

        @Test("views and likes also land in the users' histories")
        func historySideEffects() async throws {
            try await TestStores.withFreshStore(.sqlite) { state, _ in
                try await TestMetrics.withFreshStore(.sqlite) { store in
                    let writer = try EventWriter(destination: store, history: state, configuration: .init(spoolDirectory: Self.temporaryDirectory()),
                                                 logger: Self.quiet)
                    let now = Date(timeIntervalSince1970: 1_795_608_000)
                    try await Self.running(writer) {
                        try await writer.write([
                            Event(eventID: "v1", type: .view, time: now, userID: "ana", movieID: 7),
                            Event(eventID: "l1", type: .like, time: now, userID: "ana", movieID: 7),
                            Event(eventID: "v2", type: .view, time: now, userID: "bo", movieID: 8),
                        ])
                    }
                    let ana = try await state.history(of: "ana", since: nil)
                    #expect(ana.views.map(\.movieID) == [7] && ana.likes.map(\.movieID) == [7])
                    #expect(try await state.history(of: "bo", since: nil).views.map(\.movieID) == [8])
                }
            }
        }

        @Test("ClickHouse down for 12 s mid-stream: writes keep being acknowledged, and afterwards each counts exactly once")
        func clickHouseOutage() async throws {
            // Other test targets use ClickHouse too; none does while this one stops it.
            try await ServerOutageLock.clickHouse.exclusively { try await Self.clickHouseOutageBody() }
        }

        static func clickHouseOutageBody() async throws {
            let client = try await TestMetrics.freshClickHouse()
            let store = ClickHouseMetricsStore(client: client)
            try await store.prepare()
            var configuration = EventWriter.Configuration(spoolDirectory: Self.temporaryDirectory())
            configuration.retryInterval = .milliseconds(500)
            let writer = try EventWriter(destination: store, configuration: configuration, logger: Self.quiet)
            let outageOver = Flag()
            let acknowledged = try await Self.running(writer) {
                try await withThrowingTaskGroup(of: Int.self) { group in
                    group.addTask {
                        // Stream until two seconds after ClickHouse is back.
                        var batch = 0
                        var backSince: ContinuousClock.Instant?
                        let clock = ContinuousClock()
                        while backSince.map({ clock.now - $0 < .seconds(2) }) ?? true {
                            try await writer.write(Self.impressions("outage-\(batch)", count: 100))
                            batch += 1
                            try await Task.sleep(for: .milliseconds(20))
                            if backSince == nil, outageOver.isSet { backSince = clock.now }
                        }
                        return batch * 100
                    }
                    group.addTask {
                        try await Task.sleep(for: .seconds(2))
                        try Self.services("stop", "clickhouse")
                        #expect(await !client.ping(), "ClickHouse is down")
                        try await Task.sleep(for: .seconds(12))
                        try Self.services("start", "clickhouse")
                        outageOver.set()
                        return 0
                    }
                    return try await group.reduce(0, +)
                }
            }
            #expect(writer.statistics.failures > 0, "the outage was noticed")
            #expect(writer.statistics.spooled > 0, "events went to the spool while ClickHouse was down")
            // The spool drains once the server is back.
            let drainer = try EventWriter(destination: store, configuration: configuration, logger: Self.quiet)
            try await Self.running(drainer) {
                while drainer.statistics.spoolBytes > 0 { try await Task.sleep(for: .milliseconds(100)) }
            }
            // The HTTP client's kept-alive connection may be one the restarted server closed: the
            // first read can fail with it; a read is retried, as the updater's next cycle would.
            var totals: [ArmAggregate]?
            for _ in 0..<20 where totals == nil {
                totals = try? await store.aggregates([ExperimentPhase(experiment: "rail", since: .distantPast)])
                if totals == nil { try await Task.sleep(for: .milliseconds(250)) }
            }
            #expect(try #require(totals).map(\.trials).reduce(0, +) == acknowledged)
            await TestMetrics.drop(client)
        }

        @Test("a writer process killed mid-stream loses nothing it acknowledged, and its successor's replay counts once")
        func killedProcess() async throws {
            let client = try await TestMetrics.freshClickHouse()
            let spool = Self.temporaryDirectory()
            let url = try TestServers.clickHouseURL(database: client.database)
            let executable = Bundle.main.executableURL!.deletingLastPathComponent().appendingPathComponent("armory-event-writer")

            // The first process: killed after 30 acknowledged batches.
            let first = Process()
            first.executableURL = executable
            first.arguments = [url, spool, "first", "100000"]
            let output = Pipe()
            first.standardOutput = output
            try first.run()
            var acknowledged: [String] = []
            var buffer = Data()
            while acknowledged.count < 30 {
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                let lines = String(decoding: buffer, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
                acknowledged = lines.dropLast().filter { $0.hasPrefix("acked ") }.map { String($0.dropFirst(6)) }
            }
            kill(first.processIdentifier, SIGKILL)
            #expect(first.waitForExitStatus() == 128 + SIGKILL)
            #expect(acknowledged.count >= 30)

            // The second process replays the first one's spool, then writes its own.
            let second = Process()
            second.executableURL = executable
            second.arguments = [url, spool, "second", "8"]
            let secondOutput = Pipe()
            second.standardOutput = secondOutput
            try second.run()
            let secondText = String(decoding: secondOutput.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(second.waitForExitStatus() == 0)
            #expect(secondText.hasSuffix("done\n"))

            // Impressions: their event id is their decision id, which is what ClickHouse keeps.
            let stored = Set(try await client.execute("SELECT DISTINCT decision_id FROM events FORMAT TabSeparated").split(separator: "\n").map(String.init))
            for batch in acknowledged {
                #expect((0..<50).allSatisfy { stored.contains("\(batch)-\($0)") }, "acknowledged batch \(batch) is stored")
            }
            let store = ClickHouseMetricsStore(client: client)
            let trials = try await store.aggregates([ExperimentPhase(experiment: "kill-test", since: .distantPast)]).map(\.trials).reduce(0, +)
            #expect(trials == stored.count, "each stored decision counts once")
            #expect(trials >= acknowledged.count * 50 + 8 * 50)
            await TestMetrics.drop(client)
        }

        static func services(_ command: String, _ server: String) throws {
            try TestServers.services(command, server)
        }
    }
}

/// A one-way flag shared between tasks.
final class Flag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
