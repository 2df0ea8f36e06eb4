import ArgumentParser
import ArmoryCore
import ArmoryKit
import ArmoryServer
import ArmoryStorage
import Foundation
import Synchronization

/// The stores a command that trains or evaluates opens itself (as `armory serve` would, from
/// the same environment): the state store, the artifact store, and the algorithm modules.
struct LocalStoreOptions: ParsableArguments {
    @Option(help: "The state store (overrides ARMORY_DATABASE_URL): a postgres:// URL or a SQLite file path.")
    var database: String?

    @Option(help: "Where artifacts live (overrides ARMORY_ARTIFACTS_URL): s3://bucket/prefix or a folder.")
    var artifacts: String?

    @Option(name: .customLong("data-dir"), help: "The data folder, as `armory serve --data-dir` (default .armory).")
    var dataDirectory = ".armory"

    @OptionGroup var modules: ModuleOptions

    /// Runs `body` with the state store, the model registry and the loaded algorithms, then
    /// closes them. Errors are printed as one line and end the command with status 1.
    func withModels<T: Sendable>(
        _ body: @escaping @Sendable (any StateStore, ModelRegistry, AlgorithmRegistry) async throws -> T
    ) async throws -> T {
        var configuration = try ServerConfiguration(environment: ProcessInfo.processInfo.environment)
        configuration.dataDirectory = dataDirectory
        if let database { configuration.state = try StateStoreLocation(database) }
        if let artifacts { configuration.artifacts = try ArtifactLocation(parsing: artifacts) }
        if case .sqlite(let path) = configuration.stateLocation, !FileManager.default.fileExists(atPath: path) {
            // Opening would make an empty database there: a mistyped path would look like a store with no data.
            throw ConfigurationError("there is no state store at \(path): `armory serve` or `armory demo seed` makes one there, "
                + "or give --database (or ARMORY_DATABASE_URL)")
        }
        let (registry, report) = modules.load()
        for refusal in report.refused { printError("note: refused algorithm module \(refusal.file): \(refusal.reason)") }
        let (cache, close) = try configuration.artifactLocation.open(cacheFolder: configuration.artifactCacheFolder)
        do {
            let result = try await configuration.stateLocation.withStore { store in
                try await body(store, ModelRegistry(store: store, artifacts: cache), registry)
            }
            await close()
            return result
        } catch {
            await close()
            throw error
        }
    }
}

/// Runs `body`, printing an Armory, storage or configuration error as one line and exiting 1.
func reportingLocalFailures<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as ArmoryError {
        printError("error: \(error.message)")
    } catch let error as StorageError {
        printError("error: \(error.message)")
    } catch let error as ConfigurationError {
        printError("error: \(error.description)")
    } catch let error as AlgorithmError {
        printError("error: \(error.message)")
    }
    throw ExitCode(1)
}

/// Parses `key=value` parameters into typed values: a whole number, a number, true/false, or text.
func parseParameters(_ items: [String], option: String) throws -> [String: ParameterValue] {
    var values: [String: ParameterValue] = [:]
    for item in items {
        for part in item.split(separator: ",", omittingEmptySubsequences: false) {
            guard let equals = part.firstIndex(of: "="), equals != part.startIndex else {
                throw ValidationError("\(option): '\(part)' is not name=value")
            }
            let name = String(part[..<equals])
            guard values[name] == nil else { throw ValidationError("\(option): '\(name)' is given twice") }
            let text = String(part[part.index(after: equals)...])
            values[name] = if let integer = Int(text) { .integer(integer) } else if let number = Double(text) { .number(number) }
                else if text == "true" || text == "false" { .boolean(text == "true") } else { .string(text) }
        }
    }
    return values
}

/// A progress bar for work measured as a fraction, with the time left estimated from the
/// rate so far; drawn on standard error when it is a terminal, silent otherwise.
final class FractionBar: Sendable {
    private let started = ContinuousClock.now
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private let lastDrawn = Mutex<(fraction: Double, step: String)>((-1, ""))

    func update(_ fraction: Double, _ step: String) {
        guard isTerminal else { return }
        let shouldDraw = lastDrawn.withLock { last in
            guard fraction - last.fraction >= 0.005 || step != last.step || fraction >= 1 else { return false }
            last = (fraction, step)
            return true
        }
        guard shouldDraw else { return }
        let width = 30
        let filled = Int((Double(width) * fraction).rounded(.down))
        let elapsed = (ContinuousClock.now - started).timeInterval
        let left = fraction > 0.01 ? elapsed * (1 - fraction) / fraction : nil
        let eta = left.map { "ETA \(Int($0.rounded())) s" } ?? "ETA …"
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        printError("\r\u{1B}[K[\(bar)] \(Int(fraction * 100))% \(eta)  \(step.prefix(60))", terminator: fraction >= 1 ? "\n" : "")
    }
}
