import ArmoryCore
import ArmoryStorage
import Synchronization

/// The weight versions of each experiment's current phase, read from the state store once and
/// then only the versions appended since: what the periods of a sample-ratio check and of
/// period-weighted rates need every cycle, without reading the whole history every cycle.
final class PhaseWeightVersions: Sendable {
    private let store: any StateStore
    private let versions = Mutex<[String: [WeightVersion]]>([:])

    init(store: any StateStore) {
        self.store = store
    }

    /// `live`'s weight versions from its phase's first, oldest first, up to at least the one it serves.
    func versions(of live: LiveExperiment) async throws -> [WeightVersion] {
        let known = versions.withLock { $0[live.id] ?? [] }
        guard (known.last?.version ?? 0) < live.weights.version else { return known }
        let all = known + (try await store.weightVersions(of: live.id, after: known.last?.version ?? 0))
        let phase = Array(all.suffix(from: all.lastIndex { $0.reason == .initial } ?? 0))
        versions.withLock { $0[live.id] = phase }
        return phase
    }
}
