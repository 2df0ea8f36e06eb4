import ArmoryCore
import Foundation
import Synchronization

/// The results pages' reads, kept a few seconds: a page reads weeks of totals, which people
/// reloading it, or several people looking at once, need not read again each time. A kept read
/// serves only the same state of the experiment (config, weights, status and phase): a rollback,
/// a pause or a guardrail's drop shows at the next load. Loads that arrive while a read is under
/// way wait for it instead of starting their own. The JSON routes always read anew.
final class ReportCache<Report: Sendable>: Sendable {
    private struct Entry {
        var state: [Int]
        var readAt: ContinuousClock.Instant?
        var read: Task<Report, any Error>
    }

    private let freshness: Duration
    private let entries = Mutex<[String: Entry]>([:])

    init(freshness: Duration) {
        self.freshness = freshness
    }

    /// `experiment`'s report in `state`: the one kept when it is fresh, the one being read when
    /// a read is under way, or `read`'s.
    func report(for experiment: String, state: [Int], read: @escaping @Sendable () async throws -> Report) async throws -> Report {
        guard freshness > .zero else { return try await read() }
        let now = ContinuousClock.now
        let (task, isNew) = entries.withLock { entries in
            if let entry = entries[experiment], entry.state == state, entry.readAt.map({ now - $0 < freshness }) ?? true {
                return (entry.read, false)
            }
            let task = Task { try await read() }
            entries[experiment] = Entry(state: state, readAt: nil, read: task)
            return (task, true)
        }
        guard isNew else { return try await task.value }
        do {
            let report = try await task.value
            entries.withLock { entries in
                if entries[experiment]?.state == state { entries[experiment]?.readAt = .now }
            }
            return report
        } catch {
            // A failed read is not kept: the next load tries again.
            entries.withLock { entries in
                if entries[experiment]?.state == state, entries[experiment]?.readAt == nil { entries[experiment] = nil }
            }
            throw error
        }
    }

    /// The state of `live` a kept report is good for.
    static func state(of live: LiveExperiment) -> [Int] {
        [live.config.version, live.weights.version, live.statusChange?.version ?? 0, Int(live.phaseStart.timeIntervalSince1970 * 1_000)]
    }
}
