import ArmoryCore
import ArmoryKit
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Loads algorithm modules: every `lib*.so` (`lib*.dylib` on macOS) in the plugin directories,
/// registered by name into an ``AlgorithmRegistry``.
///
/// A file is refused, with a reason, when it is not a loadable library, has no entry point, was
/// built against another ArmoryKit ABI version, registers a name already taken, or has an
/// algorithm that cannot be created with its default parameters; in a SwiftPM build folder, also
/// when the package no longer builds it (a module removed from `Package.swift` leaves its
/// library behind). A refusal never stops the other files from loading. Libraries are never
/// closed: their types stay in use for the life of the process.
public struct ModuleLoader: Sendable {
    /// The environment variable naming extra module directories, colon-separated.
    public static let directoriesVariable = "ARMORY_MODULES_DIR"
    /// Its earlier name, still read (after it).
    public static let formerDirectoriesVariable = "ARMORY_PLUGINS_DIR"

    /// The directories searched, in order.
    public var directories: [String]

    /// A loader over `directories`, searched in order.
    public init(directories: [String]) {
        self.directories = directories
    }

    /// The default module directories: the executable's own folder (where `swift build` puts
    /// the built-in modules), then each folder in `ARMORY_MODULES_DIR` and `ARMORY_PLUGINS_DIR`.
    public static func defaultDirectories(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        var directories: [String] = []
        if let executable = Bundle.main.executableURL {
            directories.append(executable.resolvingSymlinksInPath().deletingLastPathComponent().path)
        }
        for variable in [directoriesVariable, formerDirectoriesVariable] {
            let extra = environment[variable]?.split(separator: ":").map(String.init) ?? []
            directories += extra.filter { !$0.isEmpty && !directories.contains($0) }
        }
        return directories
    }

    /// What identifies one version of a file: a rebuilt library is a new file (or new content).
    public struct FileStamp: Sendable, Hashable {
        var inode: UInt64
        var size: UInt64
        var modified: Date?

        init?(_ path: String) {
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return nil }
            inode = (attributes[.systemFileNumber] as? NSNumber)?.uint64Value ?? 0
            size = (attributes[.size] as? NSNumber)?.uint64Value ?? 0
            modified = attributes[.modificationDate] as? Date
        }
    }

    /// Loads every module file found into `registry` and reports what happened; refusals are
    /// also logged as warnings.
    public func load(into registry: inout AlgorithmRegistry, logger: Logger = Logger(label: "armory.modules")) -> ModuleLoadReport {
        var stamps: [String: FileStamp] = [:]
        return load(into: &registry, stamps: &stamps, logger: logger)
    }

    /// Loads the module files found that are not in `stamps` (the files loaded before, by
    /// resolved path) into `registry`, adding them there; a file in `stamps` that has changed
    /// since is refused (a library cannot be loaded twice into one process: a restart can).
    public func load(
        into registry: inout AlgorithmRegistry, stamps: inout [String: FileStamp], logger: Logger = Logger(label: "armory.modules")
    ) -> ModuleLoadReport {
        var report = ModuleLoadReport(directories: directories)
        var seen: Set<String> = []
        let built = Dictionary(uniqueKeysWithValues: directories.map { ($0, Self.builtLibraries(in: $0)) })
        for (directory, file) in moduleFiles() {
            let resolved = URL(fileURLWithPath: file).resolvingSymlinksInPath().path
            guard seen.insert(resolved).inserted else { continue }
            let stamp = FileStamp(resolved)
            if let loaded = stamps[resolved] {
                if loaded != stamp {
                    report.refused.append(.init(file: file, reason: "changed since it was loaded: restart Armory to use the new build "
                        + "(the version loaded at start keeps serving)"))
                }
                continue
            }
            if let names = built[directory] ?? nil, !names.contains(URL(fileURLWithPath: file).lastPathComponent) {
                report.refused.append(.init(file: file, reason: "this build folder's package no longer builds it (its module is not in "
                    + "Package.swift's algorithmModules): delete the file, or add the module back"))
                continue
            }
            switch loadModule(at: file, into: &registry) {
            case .success(let algorithms):
                stamps[resolved] = stamp
                for descriptor in algorithms {
                    report.loaded.append(.init(name: descriptor.name, version: descriptor.version, file: file))
                    logger.debug("loaded algorithm module", metadata: [
                        "algorithm": "\(descriptor.name)", "version": "\(descriptor.version)", "file": "\(file)",
                    ])
                }
            case .failure(let refusal) where refusal.isNotAModule && (built[directory] ?? nil) != nil:
                // A SwiftPM build folder also holds the dynamic libraries of dependencies (GRDB's, say).
                logger.debug("skipped a library of the build folder that is not an algorithm module", metadata: ["file": "\(file)"])
            case .failure(let refusal):
                report.refused.append(.init(file: file, reason: refusal.reason))
                logger.warning("refused algorithm module", metadata: ["file": "\(file)", "reason": "\(refusal.reason)"])
            }
        }
        return report
    }

    /// In a SwiftPM build folder (`.build/<triple>/debug`, with the build manifest
    /// `.build/debug.yaml` beside it), the names of the libraries the package builds there now;
    /// `nil` for any other folder.
    static func builtLibraries(in directory: String) -> Set<String>? {
        let folder = URL(fileURLWithPath: directory).resolvingSymlinksInPath()
        let manifest = folder.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(folder.lastPathComponent + ".yaml")
        guard let text = try? String(contentsOf: manifest, encoding: .utf8) else { return nil }
        var names: Set<String> = []
        // Each link step lists its product: `outputs: ["/…/debug/libHistory.so"]`.
        var rest = text[...]
        while let start = rest.range(of: "outputs: [\"") {
            rest = rest[start.upperBound...]
            guard let end = rest.firstIndex(of: "\"") else { break }
            let path = rest[..<end]
            if path.hasSuffix(".so") || path.hasSuffix(".dylib") { names.insert(String(path.split(separator: "/").last ?? path)) }
            rest = rest[end...]
        }
        return names
    }

    /// The candidate files, with their directory, directory by directory, sorted by name within each.
    func moduleFiles() -> [(directory: String, file: String)] {
        #if canImport(Darwin)
        let suffix = ".dylib"
        #else
        let suffix = ".so"
        #endif
        // ArmoryKit itself sits beside the modules; it is the contract, not a module.
        let contract = "libArmoryKit\(suffix)"
        return directories.flatMap { directory -> [(directory: String, file: String)] in
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            return names
                .filter { $0.hasPrefix("lib") && $0.hasSuffix(suffix) && $0 != contract }
                .sorted()
                .map { (directory, URL(fileURLWithPath: directory).appendingPathComponent($0).path) }
        }
    }

    private struct Refusal: Error {
        var reason: String
        /// The file has no entry point: a library, but not an Armory module.
        var isNotAModule = false
    }

    private func loadModule(at file: String, into registry: inout AlgorithmRegistry) -> Result<[AlgorithmDescriptor], Refusal> {
        if let problem = SharedLibraryFile.problem(at: file) {
            return .failure(Refusal(reason: "not a loadable shared library: the file \(problem)"))
        }
        guard let handle = dlopen(file, RTLD_NOW | RTLD_LOCAL) else {
            let detail = dlerror().map { String(cString: $0) } ?? "unknown error"
            return .failure(Refusal(reason: "not a loadable shared library: \(detail)"))
        }
        guard let symbol = dlsym(handle, ArmoryModule.entryPointSymbol) else {
            return .failure(Refusal(reason: "no entry point '\(ArmoryModule.entryPointSymbol)': not an Armory algorithm module", isNotAModule: true))
        }
        let entryPoint = unsafeBitCast(symbol, to: ArmoryModule.EntryPoint.self)
        let registrar = ModuleRegistrar()
        let moduleVersion = withExtendedLifetime(registrar) {
            entryPoint(ArmoryModule.abiVersion, Unmanaged.passUnretained(registrar).toOpaque())
        }
        guard moduleVersion == ArmoryModule.abiVersion else {
            return .failure(Refusal(reason: "built against ArmoryKit ABI version \(moduleVersion), but this host uses version "
                + "\(ArmoryModule.abiVersion): rebuild the module against this Armory's Plugins/ArmoryKit"))
        }
        guard !registrar.algorithms.isEmpty || !registrar.trainers.isEmpty else {
            return .failure(Refusal(reason: "its entry point registered no algorithms"))
        }
        // Check every algorithm before registering any, so a file loads whole or not at all.
        var candidate = registry
        var descriptors: [AlgorithmDescriptor] = []
        for algorithm in registrar.algorithms {
            let descriptor = algorithm.descriptor
            if let problem = Self.problem(with: algorithm, descriptor: descriptor) {
                return .failure(Refusal(reason: problem))
            }
            do {
                try candidate.register(algorithm, file: file)
            } catch {
                return .failure(Refusal(reason: error.description))
            }
            descriptors.append(descriptor)
        }
        for trainer in registrar.trainers {
            let name = trainer.descriptor.name
            guard Experiment.isValidID(name) else {
                return .failure(Refusal(reason: "trainer name '\(name)' is not valid: use 1 to 64 lower-case letters, digits and '-'"))
            }
            do {
                try candidate.register(trainer, file: file)
            } catch {
                return .failure(Refusal(reason: "trainer: \(error.description)"))
            }
        }
        registry = candidate
        return .success(descriptors)
    }

    /// Why `algorithm` cannot be registered: a bad name, or a factory that throws with the
    /// default parameters (checked when every parameter has a default).
    private static func problem(with algorithm: any RecommendationAlgorithm.Type, descriptor: AlgorithmDescriptor) -> String? {
        let name = descriptor.name
        guard Experiment.isValidID(name) else {
            return "algorithm name '\(name)' is not valid: use 1 to 64 lower-case letters, digits and '-'"
        }
        guard !descriptor.version.isEmpty else {
            return "algorithm '\(name)' has an empty version"
        }
        guard descriptor.parameters.allSatisfy({ !$0.isRequired }), !(algorithm is any ModelServingAlgorithm.Type) else { return nil }
        do {
            _ = try algorithm.init(parameters: Parameters.resolved([:], for: descriptor))
        } catch {
            return "algorithm '\(name)' cannot be created with its default parameters: \(error)"
        }
        return nil
    }
}
