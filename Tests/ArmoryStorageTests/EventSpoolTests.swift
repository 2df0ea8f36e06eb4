@testable import ArmoryStorage
import ArmoryCore
import Foundation
import Testing

@Suite("The event spool survives crashes mid-append and corrupt lines")
struct EventSpoolTests {
    static func events(_ prefix: String, _ count: Int) -> [Event] {
        (0..<count).map { Event(eventID: "\(prefix)-\($0)", type: .impression, time: Date(timeIntervalSince1970: 1_795_608_000),
                                decisionID: "\(prefix)-\($0)", experiment: "rail", arm: "a", userID: "u") }
    }

    @Test("a half-written last batch is cut off on open; the batches before it and after it replay in order")
    func partialLine() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("armory-spool-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var spool = try EventSpool(directory: directory)
        try spool.append(Self.events("one", 3))
        // A crash mid-append: half a line, no newline.
        let handle = try FileHandle(forWritingTo: spool.url)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("[{\"eventID\":\"half".utf8))
        try handle.close()

        spool = try EventSpool(directory: directory)
        try spool.append(Self.events("two", 2))
        let first = try #require(try spool.next())
        #expect(first.events.map(\.eventID) == ["one-0", "one-1", "one-2"])
        try spool.markReplayed(upTo: first.end)
        let second = try #require(try spool.next())
        #expect(second.events.map(\.eventID) == ["two-0", "two-1"])
        try spool.markReplayed(upTo: second.end)
        #expect(try spool.next() == nil)
        #expect(spool.pendingBytes == 0)
    }

    @Test("a corrupt whole line is set aside and the batches after it still replay")
    func corruptLine() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("armory-spool-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let spool = try EventSpool(directory: directory)
        let handle = try FileHandle(forWritingTo: spool.url)
        try handle.write(contentsOf: Data("not json at all\n".utf8))
        try handle.close()
        try spool.append(Self.events("after", 1))
        do {
            _ = try spool.next()
            Issue.record("a corrupt line decoded")
        } catch let unreadable as EventSpool.UnreadableBatch {
            try spool.setAside(unreadable)
        }
        #expect(try spool.next()?.events.map(\.eventID) == ["after-0"])
        let rejected = try String(contentsOf: spool.url.appendingPathExtension("rejected"), encoding: .utf8)
        #expect(rejected == "not json at all\n")
    }
}
