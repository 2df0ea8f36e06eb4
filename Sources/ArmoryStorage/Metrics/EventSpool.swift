import Foundation

/// An append-only file of event batches waiting for the metrics store: one JSON array per
/// line, each append flushed to disk (fsync) before it returns, and a second small file
/// holding the offset of the first batch not yet replayed.
///
/// A crash can leave a half-written last line; it was never acknowledged, and reading skips
/// it. A crash between replaying a batch and recording the new offset replays that batch
/// again, which the metrics store counts once (by event id).
final class EventSpool {
    let url: URL
    private let offsetURL: URL

    init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        url = URL(fileURLWithPath: directory).appendingPathComponent("events.spool")
        offsetURL = URL(fileURLWithPath: directory).appendingPathComponent("events.spool.offset")
        if !FileManager.default.fileExists(atPath: url.path) {
            _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        }
    }

    /// Appends a batch and forces it to disk.
    func append(_ events: [Event]) throws {
        var line = try HistoryCoding.encodeData(events)
        line.append(UInt8(ascii: "\n"))
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: line)
        try handle.synchronize()
    }

    /// The bytes not yet replayed.
    var pendingBytes: Int {
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        return max(0, size - offset())
    }

    /// The first whole batch not yet replayed, and the offset just after it; `nil` when none.
    func next() throws -> (events: [Event], end: Int)? {
        let start = offset()
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(start))
        var line = Data()
        while true {
            guard let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty else { return nil }  // no whole line yet
            if let newline = chunk.firstIndex(of: UInt8(ascii: "\n")) {
                line.append(chunk[chunk.startIndex..<newline])
                let end = start + line.count + 1
                return (try HistoryCoding.decodeData([Event].self, from: line), end)
            }
            line.append(chunk)
        }
    }

    /// Records that everything before `end` has been replayed; empties the file when nothing
    /// is left.
    func markReplayed(upTo end: Int) throws {
        let size = (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        if end >= size {
            let handle = try FileHandle(forWritingTo: url)
            try handle.truncate(atOffset: 0)
            try handle.synchronize()
            try handle.close()
            try writeOffset(0)
        } else {
            try writeOffset(end)
        }
    }

    private func offset() -> Int {
        (try? String(contentsOf: offsetURL, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
    }

    private func writeOffset(_ value: Int) throws {
        let data = Data("\(value)\n".utf8)
        let temporary = offsetURL.appendingPathExtension("new")
        _ = FileManager.default.createFile(atPath: temporary.path, contents: data)
        let handle = try FileHandle(forWritingTo: temporary)
        try handle.synchronize()
        try handle.close()
        // rename(2) replaces the old offset file in one step.
        guard rename(temporary.path, offsetURL.path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: offsetURL.path])
        }
    }
}
