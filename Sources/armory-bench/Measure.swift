import CAllocationCounter
import Foundation

/// Timing and allocation counting for the benchmarks.
enum Measure {
    /// Nanoseconds per iteration of `body` over `iterations`, the best of `repeats` runs
    /// (the minimum is the least disturbed by the other core's work).
    static func nanosecondsPerIteration(iterations: Int, repeats: Int = 5, _ body: (Int) -> Void) -> Double {
        var best = Double.infinity
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            for index in 0..<iterations { body(index) }
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start)
            best = min(best, elapsed / Double(iterations))
        }
        return best
    }

    /// Seconds taken by `body`, the median of `repeats` runs.
    static func medianSeconds(repeats: Int, _ body: () -> Void) -> Double {
        let times = (0..<repeats).map { _ in
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }.sorted()
        return times[times.count / 2]
    }

    /// Heap allocations made by any thread while `body` runs.
    static func allocations(_ body: () -> Void) -> UInt {
        let before = armory_allocation_count()
        body()
        return armory_allocation_count() - before
    }
}

/// Keeps results alive so the optimizer cannot delete the work that made them.
nonisolated(unsafe) var sink: Double = 0

func report(_ name: String, _ value: String, target: String = "", verdict: Bool? = nil) {
    let mark = verdict.map { $0 ? "ok  " : "MISS" } ?? "    "
    print("\(mark) \(padded(name, to: 46)) \(padded(value, to: 34)) \(target)")
}

/// `text` followed by spaces up to `width` characters; longer text is kept whole.
private func padded(_ text: String, to width: Int) -> String {
    text + String(repeating: " ", count: max(0, width - text.count))
}

/// Runs a shell command and returns its standard output, or `nil` if it failed.
func shell(_ command: String) -> String? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", command]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return nil }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return process.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
}

/// The median and 99th percentile of `rounds` timed calls, after a tenth as many that warm caches.
func percentiles(rounds: Int = 2_000, _ call: () async -> Int) async -> (p50: Duration, p99: Duration) {
    var samples: [Duration] = []
    let clock = ContinuousClock()
    let warming = rounds / 10
    for round in 0..<(warming + rounds) {
        let start = clock.now
        let count = await call()
        let elapsed = clock.now - start
        if round >= warming { samples.append(elapsed) }
        sink += Double(count)
    }
    samples.sort()
    return (samples[samples.count / 2], samples[samples.count * 99 / 100])
}

func microseconds(_ duration: Duration) -> String {
    let (seconds, attoseconds) = duration.components
    let value = Double(seconds) * 1e6 + Double(attoseconds) / 1e12
    return value >= 1_000 ? String(format: "%.2f ms", value / 1_000) : String(format: "%.1f µs", value)
}
