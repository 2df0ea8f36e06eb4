import ArgumentParser
import ArmoryKit
import ArmoryServer
import Logging

/// Where commands look for algorithm modules, beyond the defaults.
struct ModuleOptions: ParsableArguments {
    @Option(name: [.customLong("modules-dir"), .customLong("plugins-dir")],
            help: "Another directory of algorithm modules (lib*.so), searched after the executable's own and ARMORY_MODULES_DIR; repeatable.")
    var directories: [String] = []

    /// Loads every module found. Refusals are reported by the caller, not logged, so a command's
    /// standard output stays data.
    func load() -> (registry: AlgorithmRegistry, report: ModuleLoadReport) {
        let loader = ModuleLoader(directories: ModuleLoader.defaultDirectories() + directories)
        var registry = AlgorithmRegistry()
        let report = loader.load(into: &registry, logger: Logger(label: "armory.modules") { _ in SwiftLogNoOpLogHandler() })
        return (registry, report)
    }
}
