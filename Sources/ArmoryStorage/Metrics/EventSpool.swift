import ArmoryCore
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

    /// The spool `name` (`events.spool` for the metrics store) in `directory`.
    init(directory: String, name: String = "events.spool") throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        url = URL(fileURLWithPath: directory).appendingPathComponent(name)
        offsetURL = URL(fileURLWithPath: directory).appendingPathComponent(name + ".offset")
        if !FileManager.default.fileExists(atPath: url.path) {
            _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        }
        try dropPartialLastLine()
    }

    /// A crash in the middle of an append leaves a last line without its newline. That batch
    /// was never acknowledged (acknowledgement waits for the fsync), so it is cut off; left in
    /// place, the next append would run into it and spoil both.
    private func dropPartialLastLine() throws {
        let handle = try FileHandle(forUpdating: url)
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        guard size > 0 else { return }
        var end = size
        let chunk: UInt64 = 1 << 16
        while end > 0 {
            let start = end > chunk ? end - chunk : 0
            try handle.seek(toOffset: start)
            let data = try handle.read(upToCount: Int(end - start)) ?? Data()
            if let newline = data.lastIndex(of: UInt8(ascii: "\n")) {
                let keep = start + UInt64(newline - data.startIndex) + 1
                if keep < size {
                    try handle.truncate(atOffset: keep)
                    try handle.synchronize()
                }
                return
            }
            end = start
        }
        // No newline at all: the whole file is one unfinished append.
        try handle.truncate(atOffset: 0)
        try handle.synchronize()
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
                do {
                    return (try HistoryCoding.decodeData([Event].self, from: line), end)
                } catch {
                    throw UnreadableBatch(line: line, end: end, underlying: error)
                }
            }
            line.append(chunk)
        }
    }

    /// A whole line that does not decode (the disk corrupted it): set aside, not replayed.
    struct UnreadableBatch: Error {
        var line: Data
        var end: Int
        var underlying: any Error
    }

    /// Moves an unreadable batch to `<name>.rejected` for a person to look at, and skips it.
    func setAside(_ batch: UnreadableBatch) throws {
        try appendRejected(batch.line)
        try markReplayed(upTo: batch.end)
    }

    /// Keeps events the store refuses (not: cannot be reached) in `<name>.rejected`, for a
    /// person to look at, so that they stop holding up the batches behind them.
    func reject(_ events: [Event]) throws {
        try appendRejected(try HistoryCoding.encodeData(events))
    }

    private func appendRejected(_ line: Data) throws {
        let rejected = url.appendingPathExtension("rejected")
        if !FileManager.default.fileExists(atPath: rejected.path) {
            _ = FileManager.default.createFile(atPath: rejected.path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: rejected)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: line + Data("\n".utf8))
        try handle.synchronize()
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
