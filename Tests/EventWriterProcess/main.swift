import ArmoryCore
import ArmoryStorage
import Foundation
import Logging

// armory-event-writer CLICKHOUSE_URL SPOOL_DIR PREFIX BATCHES: streams BATCHES batches of 50
// impressions (event ids PREFIX-<batch>-<n>) through an EventWriter into ClickHouse, four
// writers at once, printing "acked PREFIX-<batch>" after each batch is acknowledged. On start
// it replays whatever an earlier, killed process left in SPOOL_DIR. The storage tests SIGKILL
// one of these mid-stream and check that every acknowledged event is stored, and counted once.
/// Writes a line to standard output at once (unbuffered), so the test sees each acknowledgement.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

let arguments = CommandLine.arguments
guard arguments.count == 5, let batches = Int(arguments[4]) else {
    FileHandle.standardError.write(Data("usage: armory-event-writer CLICKHOUSE_URL SPOOL_DIR PREFIX BATCHES\n".utf8))
    exit(2)
}
let prefix = arguments[3]
let store = ClickHouseMetricsStore(client: try ClickHouseClient(url: arguments[1]))
try await store.prepare()
var configuration = EventWriter.Configuration(spoolDirectory: arguments[2])
configuration.flushInterval = .milliseconds(20)
let writer = try EventWriter(destination: store, configuration: configuration, logger: Logger(label: "writer") { _ in SwiftLogNoOpLogHandler() })
try await withThrowingTaskGroup(of: Void.self) { group in
    group.addTask { try await writer.run() }
    try await withThrowingTaskGroup(of: Void.self) { senders in
        for lane in 0..<4 {
            senders.addTask {
                for batch in stride(from: lane, to: batches, by: 4) {
                    let events = (0..<50).map { n in
                        let id = "\(prefix)-\(batch)-\(n)"
                        return Event(eventID: id, type: .impression, time: Date(), decisionID: id, experiment: "kill-test", arm: "a", userID: "u\(n)")
                    }
                    try await writer.write(events)
                    say("acked \(prefix)-\(batch)")
                }
            }
        }
        try await senders.waitForAll()
    }
    writer.stop()
    try await group.waitForAll()
}
say("done")
