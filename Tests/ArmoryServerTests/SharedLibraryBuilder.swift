import ArmoryTestSupport
import Foundation

/// Builds small shared libraries for the loader's tests, with the same tools a module author has.
enum SharedLibraryBuilder {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// A fresh temporary directory.
    static func temporaryDirectory(_ label: String) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("armory-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Compiles C `source` into `directory/name`.
    static func c(_ source: String, named name: String, in directory: URL) throws {
        let file = directory.appendingPathComponent("\(name).c")
        try source.write(to: file, atomically: true, encoding: .utf8)
        try run("/usr/bin/env", ["cc", "-shared", "-fPIC", "-o", directory.appendingPathComponent(name).path, file.path])
    }

    /// Compiles Swift `source` into `directory/name`, against the ArmoryKit built beside the tests.
    static func swift(_ source: String, module: String, named name: String, in directory: URL, buildDirectory: String) throws {
        let file = directory.appendingPathComponent("\(module).swift")
        try source.write(to: file, atomically: true, encoding: .utf8)
        try run("/usr/bin/env", [
            "swiftc", "-emit-library", "-parse-as-library", "-swift-version", "6", "-module-name", module,
            "-I", "\(buildDirectory)/Modules", "-L", buildDirectory, "-lArmoryKit",
            "-o", directory.appendingPathComponent(name).path, file.path,
        ])
    }

    /// Runs a command, throwing with its output when it fails.
    static func run(_ executable: String, _ arguments: [String], in directory: URL? = nil) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        guard process.waitForExitStatus() == 0 else {
            throw Failure(description: "\(arguments.prefix(3).joined(separator: " ")) … failed:\n\(String(decoding: data, as: UTF8.self))")
        }
    }
}
