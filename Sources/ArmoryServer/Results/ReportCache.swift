import ArmoryCore
import Foundation
import Synchronization

/// The results pages' reads, kept a few seconds: a page reads weeks of totals, which people
/// reloading it, or several people looking at once, need not read again each time. A kept read
/// serves only the same state of the experiment (config, weights, status and phase): a rollback,
/// a pause or a guardrail's drop shows at the next load. The JSON routes always read anew.
final class ReportCache: Sendable {
    private struct Entry {
        var state: [Int]
        var readAt: ContinuousClock.Instant
        var report: ResultsReader.Report
    }

    private let freshness: Duration
    private let entries = Mutex<[String: Entry]>([:])

    init(freshness: Duration) {
        self.freshness = freshness
    }

    /// The report kept for `live` in its current state, when it is fresh.
    func report(for live: LiveExperiment) -> ResultsReader.Report? {
        guard freshness > .zero else { return nil }
        let now = ContinuousClock.now
        return entries.withLock { entries in
            guard let entry = entries[live.id], entry.state == Self.state(of: live), now - entry.readAt < freshness else { return nil }
            return entry.report
        }
    }

    /// Keeps `report`.
    func keep(_ report: ResultsReader.Report) {
        guard freshness > .zero else { return }
        let entry = Entry(state: Self.state(of: report.live), readAt: .now, report: report)
        entries.withLock { $0[report.live.id] = entry }
    }

    private static func state(of live: LiveExperiment) -> [Int] {
        [live.config.version, live.weights.version, live.statusChange?.version ?? 0, Int(live.phaseStart.timeIntervalSince1970 * 1_000)]
    }
}
