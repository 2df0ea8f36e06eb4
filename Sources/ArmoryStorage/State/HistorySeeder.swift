import ArmoryCore
import Foundation

/// Writes a ``SyntheticHistory`` into the stores as if a server had lived through it: the
/// experiment's file as config version 1 at the history's start (so a server that then loads
/// the same file carries the phase on instead of starting a new one), its weight versions, and
/// its events. For tests and benchmarks of what reads history; never part of serving.
public enum HistorySeeder {
    /// Writes `history`, whose experiment was read from `yaml` in `file`, into `state` and
    /// `metrics`, in batches of `batch` events.
    public static func write(
        _ history: SyntheticHistory, yaml: String, file: String, state: any StateStore, metrics: any MetricsStore, batch: Int = 20_000
    ) async throws {
        _ = try await state.appendConfigVersion(NewConfigVersion(experiment: history.experiment, yaml: yaml, sourceFile: file,
                                                                 actor: "seed", createdAt: history.start))
        let (versions, events) = history.generate()
        for version in versions {
            _ = try await state.appendWeightVersion(version)
        }
        for first in stride(from: 0, to: events.count, by: max(batch, 1)) {
            try await metrics.insert(Array(events[first..<min(first + batch, events.count)]))
        }
    }
}
