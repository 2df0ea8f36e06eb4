import ArmoryKit
import Foundation
import Logging
import NIOConcurrencyHelpers

/// The algorithm modules a server has loaded: its registry, what loading found, and more
/// modules loaded on reload. A module file that appears after start (a module built while the
/// server runs) loads on the next reload; one that changed since it was loaded cannot be loaded
/// again into the same process, and is reported as needing a restart.
public final class AlgorithmModules: Sendable {
    private struct State {
        var registry: AlgorithmRegistry
        var report: ModuleLoadReport
        var stamps: [String: ModuleLoader.FileStamp]
    }

    private let loader: ModuleLoader?
    private let state: NIOLockedValueBox<State>

    /// Loads every module `loader` finds.
    public init(loader: ModuleLoader, logger: Logger = Logger(label: "armory.modules")) {
        self.loader = loader
        var registry = AlgorithmRegistry()
        var stamps: [String: ModuleLoader.FileStamp] = [:]
        let report = loader.load(into: &registry, stamps: &stamps, logger: logger)
        state = NIOLockedValueBox(State(registry: registry, report: report, stamps: stamps))
    }

    /// A fixed set of algorithms (tests, benchmarks): reloading finds nothing new.
    public init(registry: AlgorithmRegistry) {
        loader = nil
        state = NIOLockedValueBox(State(registry: registry, report: ModuleLoadReport(), stamps: [:]))
    }

    /// The algorithms loaded so far.
    public var registry: AlgorithmRegistry { state.withLockedValue { $0.registry } }

    /// What loading found, the latest reload included.
    public var report: ModuleLoadReport { state.withLockedValue { $0.report } }

    /// Loads the module files that appeared since the last look, and reports every algorithm
    /// loaded and every file refused now (a changed file among them).
    @discardableResult
    public func reload(logger: Logger) -> ModuleLoadReport {
        guard let loader else { return report }
        var (registry, stamps) = state.withLockedValue { ($0.registry, $0.stamps) }
        let previous = report.loaded
        var report = loader.load(into: &registry, stamps: &stamps, logger: logger)
        report.loaded = previous + report.loaded
        state.withLockedValue { $0 = State(registry: registry, report: report, stamps: stamps) }
        return report
    }
}
