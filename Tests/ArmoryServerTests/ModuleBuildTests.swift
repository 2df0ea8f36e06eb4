import ArmoryKit
import ArmoryServer
import Foundation
import Testing

/// Modules built the two ways a data scientist builds them outside the built-in list: scaffolded
/// with the `new-algorithm` command plugin, and as a package of their own. Each is built with
/// `swift build`, as a user would, then loaded into this host.
@Suite("Modules from the scaffolding plugin and from an out-of-tree package build and load", .serialized)
struct ModuleBuildTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized

    @Test("examples/out-of-tree-algorithm builds against Plugins/ArmoryKit and loads into the host")
    func outOfTree() async throws {
        let scratch = try SharedLibraryBuilder.temporaryDirectory("out-of-tree-build")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let package = Self.repositoryRoot.appendingPathComponent("examples/out-of-tree-algorithm")
        try SharedLibraryBuilder.run("/usr/bin/env", ["swift", "build", "--package-path", package.path, "--scratch-path", scratch.path])

        var registry = BuiltModules.registry
        let products = scratch.appendingPathComponent("debug").path
        let report = ModuleLoader(directories: [products]).load(into: &registry, logger: BuiltModules.quietLogger)
        #expect(report.refused.isEmpty, "\(report.refused)")
        #expect(report.loaded.map(\.name) == ["classics"])

        // Its answer on the hand-made catalog: unseen films before 1980, oldest first: Jaws (1975); then popularity.
        let classics = try registry.makeAlgorithm(named: "classics")
        let items = try await classics.recommend(MovieFixtures.request("u1", limit: 3), data: MovieFixtures.dataSource())
        #expect(items.map(\.movieID) == [8, 6, 7])
    }

    @Test("new-algorithm scaffolds a module that builds and loads without other edits")
    func scaffolding() async throws {
        let copy = try SharedLibraryBuilder.temporaryDirectory("scaffold")
        defer { try? FileManager.default.removeItem(at: copy) }
        try Self.copyPackage(to: copy)
        // A name no user's module has: the tree may hold modules a user added (MostLiked, as
        // the README's own example names it).
        let name = "ScaffoldProbe\(Int.random(in: 1_000...9_999))"
        let before = try String(contentsOf: copy.appendingPathComponent("Package.swift"), encoding: .utf8)
        let modules = Self.algorithmModules(in: before)

        try SharedLibraryBuilder.run("/usr/bin/env", ["swift", "package", "--allow-writing-to-package-directory", "new-algorithm", name], in: copy)
        let manifest = try String(contentsOf: copy.appendingPathComponent("Package.swift"), encoding: .utf8)
        #expect(Self.algorithmModules(in: manifest) == (modules + [name]).sorted(), "the list stays sorted, with the new module in it")
        #expect(modules.contains("Popularity") && modules.contains("History"))
        #expect(FileManager.default.fileExists(atPath: copy.appendingPathComponent("Plugins/\(name)/\(name).swift").path))

        // The same name twice, or a name that is not a type name, is refused and changes nothing.
        #expect(throws: SharedLibraryBuilder.Failure.self) {
            try SharedLibraryBuilder.run("/usr/bin/env", ["swift", "package", "--allow-writing-to-package-directory", "new-algorithm", name], in: copy)
        }
        #expect(throws: SharedLibraryBuilder.Failure.self) {
            try SharedLibraryBuilder.run("/usr/bin/env", ["swift", "package", "--allow-writing-to-package-directory", "new-algorithm", "most liked"], in: copy)
        }
        #expect(try String(contentsOf: copy.appendingPathComponent("Package.swift"), encoding: .utf8) == manifest)

        try SharedLibraryBuilder.run("/usr/bin/env", ["swift", "build", "--product", name], in: copy)
        var registry = BuiltModules.registry
        let report = ModuleLoader(directories: [copy.appendingPathComponent(".build/debug").path])
            .load(into: &registry, logger: BuiltModules.quietLogger)
        #expect(report.refused.isEmpty, "\(report.refused)")
        let loaded = try #require(report.loaded.first { $0.name.hasPrefix("scaffold-probe") }, "\(report.loaded.map(\.name))")

        // The template's answer: unseen movies by views in the last 7 days. u1 has seen Alien, Heat, Arrival.
        let scaffolded = try registry.makeAlgorithm(named: loaded.name)
        let items = try await scaffolded.recommend(MovieFixtures.request("u1", limit: 3), data: MovieFixtures.dataSource())
        #expect(items.map(\.movieID) == [6, 7, 3])
    }

    /// The names in a manifest's `algorithmModules` list, in order.
    static func algorithmModules(in manifest: String) -> [String] {
        guard let start = manifest.range(of: "let algorithmModules = ["),
              let end = manifest[start.upperBound...].firstIndex(of: "]") else { return [] }
        return manifest[start.upperBound..<end].split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
            .filter { !$0.isEmpty }
    }

    /// The package's own files (not its build folders, git data or local state) copied to `destination`.
    static func copyPackage(to destination: URL) throws {
        let manager = FileManager.default
        for name in try manager.contentsOfDirectory(atPath: repositoryRoot.path)
        where !name.hasPrefix(".build") && ![".git", ".armory", ".swiftpm"].contains(name) {
            try manager.copyItem(at: repositoryRoot.appendingPathComponent(name), to: destination.appendingPathComponent(name))
        }
    }
}
