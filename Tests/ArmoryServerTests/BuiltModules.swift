import ArmoryKit
import ArmoryServer
import Foundation
import Logging

/// The built-in modules as the host loads them: from the folder `swift build` put them in,
/// beside the test executable.
enum BuiltModules {
    /// The build products folder (`.build/<triple>/debug` or `release`).
    static let directory: String = ModuleLoader.defaultDirectories(environment: [:])[0]

    static let loaded: (registry: AlgorithmRegistry, report: ModuleLoadReport) = {
        var registry = AlgorithmRegistry()
        let report = ModuleLoader(directories: [directory]).load(into: &registry, logger: quietLogger)
        return (registry, report)
    }()

    static var registry: AlgorithmRegistry { loaded.registry }

    static let quietLogger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    /// A built-in algorithm with `parameters`.
    static func algorithm(_ name: String, _ parameters: [String: ParameterValue] = [:]) throws -> any RecommendationAlgorithm {
        try registry.makeAlgorithm(named: name, parameters: parameters)
    }
}
