@testable import ArmoryServer
import ArmoryCore
import ArmoryStorage
import Foundation
import Testing

/// The results route's sample-ratio read: a dear read is kept for a while, a cheap one never.
@Suite("The results route keeps a dear first-assignment read, and only a dear one")
struct FirstAssignmentCacheTests {
    static func impression(_ user: String, at start: Date) -> Event {
        Event(eventID: "d-\(user)", type: .impression, time: start.addingTimeInterval(1), decisionID: "d-\(user)", experiment: "split",
              arm: "a", configVersion: 1, weightVersion: 1, userID: user)
    }

    @Test("a dear read is reused within its lifetime; a cheap one is read again every time")
    func keepsOnlyDearReads() async throws {
        let folder = try SharedLibraryBuilder.temporaryDirectory("assignment-cache")
        defer { try? FileManager.default.removeItem(at: folder) }
        let base = try SQLiteMetricsStore(path: folder.appendingPathComponent("metrics.sqlite").path)
        try await base.prepare()
        let start = Date(timeIntervalSince1970: 1_795_600_000)
        let phase = ExperimentPhase(experiment: "split", since: start)
        try await base.insert([Self.impression("ana", at: start)])

        // What counts as dear is set at its two ends, so the verdict never depends on the machine's speed.
        let dear = FirstAssignmentCache(metricsStore: base, lifetime: .seconds(60), dear: .zero)
        #expect(try await dear.assignments(phase).map(\.units) == [1])
        try await base.insert([Self.impression("bo", at: start)])
        #expect(try await dear.assignments(phase).map(\.units) == [1], "kept: the read was dear")
        #expect(try await dear.assignments(ExperimentPhase(experiment: "split", since: start.addingTimeInterval(-1))).map(\.units) == [2],
                "a new phase start is read again")

        let cheap = FirstAssignmentCache(metricsStore: base, lifetime: .seconds(60), dear: .seconds(3_600))
        #expect(try await cheap.assignments(phase).map(\.units) == [2])
        try await base.insert([Self.impression("cy", at: start)])
        #expect(try await cheap.assignments(phase).map(\.units) == [3], "not kept: the read was cheap")
    }
}
