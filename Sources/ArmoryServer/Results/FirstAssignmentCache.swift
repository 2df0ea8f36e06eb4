import ArmoryCore
import ArmoryStorage
import Foundation
import Synchronization

/// The sample-ratio check's read for the results route, kept for a short while when it was
/// dear: finding each user's first decision scans the phase's impressions, which an
/// unauthenticated route must not repeat on every request of a large experiment (the worker reads
/// it once per cycle). A cheap read (a small experiment) is not kept, so its results stay
/// current; a phase that starts anew is read again at once.
final class FirstAssignmentCache: Sendable {
    private struct Entry {
        var phaseStart: Date
        var readAt: ContinuousClock.Instant
        var rows: [FirstAssignment]
    }

    private let metricsStore: any MetricsStore
    private let lifetime: Duration
    private let dear: Duration
    private let entries = Mutex<[String: Entry]>([:])

    /// A cache over `metricsStore` that keeps reads taking at least `dear` for `lifetime`.
    init(metricsStore: any MetricsStore, lifetime: Duration = .seconds(60), dear: Duration = .milliseconds(100)) {
        self.metricsStore = metricsStore
        self.lifetime = lifetime
        self.dear = dear
    }

    /// `phase`'s first assignments, read now or (when that read was dear) at most `lifetime` ago.
    func assignments(_ phase: ExperimentPhase) async throws -> [FirstAssignment] {
        let now = ContinuousClock.now
        if let entry = entries.withLock({ $0[phase.experiment] }), entry.phaseStart == phase.since, now - entry.readAt < lifetime {
            return entry.rows
        }
        let rows = try await metricsStore.firstAssignments([phase])
        if ContinuousClock.now - now >= dear {
            entries.withLock { $0[phase.experiment] = Entry(phaseStart: phase.since, readAt: now, rows: rows) }
        }
        return rows
    }
}
