import ArmoryKit
import ArmoryServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Modules built while the server runs load on reload; a rebuilt one asks for a restart; a
/// library the package no longer builds is not loaded.
@Suite("Module files: new ones load on reload, changed ones ask for a restart, stale ones are refused", .serialized)
struct ModuleReloadTests {
    /// Builds a module registering `name`, whose list is `movie` then the popular list.
    static func buildModule(_ name: String, library: String, movie: Int = 1, in directory: URL) throws {
        let type = "Module" + name.replacingOccurrences(of: "-", with: "")
        try SharedLibraryBuilder.swift("""
            import ArmoryKit
            struct \(type): RecommendationAlgorithm {
                static let descriptor = AlgorithmDescriptor(name: "\(name)", version: "1.0.0")
                init(parameters: Parameters) throws {}
                func recommend(_ request: RecommendationRequest, data: any DataSource) async throws -> [ScoredItem] {
                    try await data.filled([ScoredItem(movieID: \(movie), score: 1)], to: request.limit, excluding: request.exclusions)
                }
            }
            @_cdecl("armory_module_entry")
            public func entry(hostABIVersion: UInt32, registrar: UnsafeMutableRawPointer) -> UInt32 {
                ArmoryModule.export([\(type).self], hostABIVersion: hostABIVersion, registrar: registrar)
            }
            """, module: type, named: library, in: directory, buildDirectory: BuiltModules.directory)
    }

    @Test("AlgorithmModules: a file added after start loads on reload; one rebuilt since it loaded is refused as needing a restart")
    func reload() throws {
        let directory = try SharedLibraryBuilder.temporaryDirectory("reload-modules")
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.buildModule("first", library: "libFirst.so", in: directory)
        let modules = AlgorithmModules(loader: ModuleLoader(directories: [directory.path]), logger: BuiltModules.quietLogger)
        #expect(modules.registry.descriptors.map(\.name) == ["first"])
        #expect(modules.reload(logger: BuiltModules.quietLogger).refused.isEmpty, "nothing new, nothing refused")

        try Self.buildModule("second", library: "libSecond.so", in: directory)
        let afterBuild = modules.reload(logger: BuiltModules.quietLogger)
        #expect(modules.registry.descriptors.map(\.name).sorted() == ["first", "second"])
        #expect(afterBuild.loaded.map(\.name).sorted() == ["first", "second"])
        #expect(afterBuild.refused.isEmpty)

        // A rebuild makes a new file, as linkers do (the loaded one stays mapped as it was).
        try FileManager.default.removeItem(at: directory.appendingPathComponent("libFirst.so"))
        try Self.buildModule("first", library: "libFirst.so", movie: 2, in: directory)
        let afterRebuild = modules.reload(logger: BuiltModules.quietLogger)
        #expect(afterRebuild.refused.map(\.file) == [directory.appendingPathComponent("libFirst.so").path])
        #expect(afterRebuild.refused.first?.reason.hasPrefix("changed since it was loaded: restart Armory") == true)
        #expect(modules.registry.descriptors.map(\.name).sorted() == ["first", "second"], "the loaded version keeps serving")
    }

    @Test("in a SwiftPM build folder, a library its manifest no longer builds is refused with the reason; the others load")
    func staleLibrary() throws {
        // <root>/<triple>/debug holding two modules, and <root>/debug.yaml building only one of them.
        let root = try SharedLibraryBuilder.temporaryDirectory("stale-build")
        defer { try? FileManager.default.removeItem(at: root) }
        let products = root.appendingPathComponent("x86_64-unknown-linux-gnu/debug")
        try FileManager.default.createDirectory(at: products, withIntermediateDirectories: true)
        try Self.buildModule("kept", library: "libKept.so", in: products)
        try Self.buildModule("removed", library: "libRemoved.so", in: products)
        try """
            commands:
              "C.Kept-x86_64-unknown-linux-gnu-debug.dylib":
                tool: shell
                outputs: ["\(products.path)/libKept.so"]
            """.write(to: root.appendingPathComponent("debug.yaml"), atomically: true, encoding: .utf8)
        var registry = AlgorithmRegistry()
        let report = ModuleLoader(directories: [products.path]).load(into: &registry, logger: BuiltModules.quietLogger)
        #expect(report.loaded.map(\.name) == ["kept"])
        #expect(report.refused.map(\.file) == [products.appendingPathComponent("libRemoved.so").path])
        #expect(report.refused.first?.reason.contains("no longer builds it") == true)
        // The same folder outside a build (no manifest) loads both.
        try FileManager.default.removeItem(at: root.appendingPathComponent("debug.yaml"))
        var again = AlgorithmRegistry()
        #expect(ModuleLoader(directories: [products.path]).load(into: &again, logger: BuiltModules.quietLogger).refused.isEmpty)
    }

    @Test("a running server loads a module built after it started on POST /v1/admin/reload, and the experiment that needs it starts serving")
    func serverReload() async throws {
        let plugins = try SharedLibraryBuilder.temporaryDirectory("late-module")
        defer { try? FileManager.default.removeItem(at: plugins) }
        let folder = try TestServer.makeFolder(["late.yaml": """
            id: late
            objective: ctr
            fallback: control
            arms:
              - { name: control, algorithm: popularity }
              - { name: newcomer, algorithm: late-arrival }
            """])
        defer { try? FileManager.default.removeItem(at: folder) }
        var configuration = TestServer.configuration(in: folder)
        configuration.moduleDirectories = [plugins.path]
        try await TestServer.run(configuration) { client, _ in
            #expect(try await client.execute(uri: "/v1/experiments/late", method: .get).status == .notFound, "refused at start")
            try Self.buildModule("late-arrival", library: "libLateArrival.so", in: plugins)
            let reloaded = try await client.post("/v1/admin/reload", ["reason": "new module"])
            let report = try reloaded.decode(ReloadReport.self)
            #expect(report.newAlgorithms == ["late-arrival"])
            #expect(report.loaded.first?.id == "late")
            let algorithms = try await client.get("/v1/algorithms", as: AlgorithmList.self).algorithms
            #expect(algorithms.contains { $0.name == "late-arrival" })
            #expect(try await client.execute(uri: "/v1/experiments/late", method: .get).status == .ok)
        }
    }
}
