import Foundation
import ArmoryTestSupport
import Testing

/// Headless Chromium from Debian's packages (`chromium-headless-shell`, installed by
/// `scripts/services.sh`; `ARMORY_CHROMIUM` names another), run once per page: the DOM as the
/// browser built it, what the page printed to the console, and screenshots.
struct Browser {
    let executable: String

    /// The browser, or a failure that says how to install it: the page tests never skip.
    static func find() throws -> Browser {
        if let named = ProcessInfo.processInfo.environment["ARMORY_CHROMIUM"], !named.isEmpty { return Browser(executable: named) }
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        for folder in path + ["/usr/bin"] {
            for name in ["chromium-headless-shell", "chromium"] where FileManager.default.isExecutableFile(atPath: "\(folder)/\(name)") {
                return Browser(executable: "\(folder)/\(name)")
            }
        }
        throw TestFailure("no Chromium: run `bash scripts/services.sh`, which installs chromium-headless-shell from Debian, or set ARMORY_CHROMIUM")
    }

    /// The rendered DOM of `url` and every console line the page printed.
    func render(_ url: String) async throws -> (dom: String, console: [String]) {
        let (output, errors) = try await run(["--dump-dom", url])
        let console = errors.split(separator: "\n").filter { $0.contains(":CONSOLE") }.map(String.init)
        return (output, console)
    }

    /// A PNG of `url` at `width` × `height` CSS pixels, written to `file`.
    func screenshot(_ url: String, to file: URL, width: Int, height: Int) async throws {
        _ = try await run(["--window-size=\(width),\(height)", "--screenshot=\(file.path)", url])
    }

    /// Runs the browser with `arguments` on a thread of its own (the wait blocks), its output in
    /// files (a full pipe would block it); its standard output and error.
    private func run(_ arguments: [String]) async throws -> (String, String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("armory-chromium-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let outputFile = folder.appendingPathComponent("stdout")
        let errorFile = folder.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        // --no-sandbox: the tests may run as root, where Chromium's sandbox refuses to start.
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                             "--user-data-dir=\(folder.appendingPathComponent("profile").path)", "--enable-logging=stderr", "--v=0"] + arguments
        process.standardOutput = try FileHandle(forWritingTo: outputFile)
        process.standardError = try FileHandle(forWritingTo: errorFile)
        try process.run()
        // A browser that hangs is stopped, and the test fails saying so, rather than hanging the run.
        let deadline = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(60), execute: deadline)
        let status = await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: process.waitForExitStatus()) }
        }
        deadline.cancel()
        let output = String(decoding: try Data(contentsOf: outputFile), as: UTF8.self)
        let errors = String(decoding: try Data(contentsOf: errorFile), as: UTF8.self)
        guard status == 0 else {
            throw TestFailure("\(executable) \(arguments.joined(separator: " ")) exited \(status): \(errors.suffix(2_000))")
        }
        return (output, errors)
    }
}
