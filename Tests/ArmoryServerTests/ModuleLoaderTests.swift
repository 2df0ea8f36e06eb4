import ArmoryKit
import ArmoryServer
import Foundation
import Testing

@Suite("Loading algorithm modules")
struct ModuleLoaderTests {
    /// The built-in modules and their libraries (a user's own modules may load beside them).
    static let builtIns = ["history": "libHistory.so", "item-to-item": "libItemToItem.so", "popularity": "libPopularity.so", "random": "libRandom.so"]

    @Test("the four built-in modules load from the build folder, each from its own library")
    func builtIns() throws {
        let report = BuiltModules.loaded.report
        #expect(report.refused.isEmpty, "\(report.refused)")
        #expect(Set(Self.builtIns.keys).isSubset(of: report.loaded.map(\.name)))
        for module in report.loaded {
            guard let library = Self.builtIns[module.name] else { continue }
            #expect(module.file.hasSuffix("/" + library))
            #expect(module.version == "1.0.0")
        }
        #expect(BuiltModules.registry.descriptors.first { $0.name == "history" }?.parameter(named: "like_boost")?.defaultValue == .number(2))
    }

    @Test("a folder listed twice, or missing, changes nothing")
    func repeatedAndMissingFolders() {
        var registry = AlgorithmRegistry()
        let directory = BuiltModules.directory
        let report = ModuleLoader(directories: [directory, "/nonexistent/armory-plugins", directory + "/."])
            .load(into: &registry, logger: BuiltModules.quietLogger)
        #expect(report.loaded.count == BuiltModules.loaded.report.loaded.count)
        #expect(report.refused.isEmpty)
    }

    @Test("extra folders come from ARMORY_MODULES_DIR, then its former name ARMORY_PLUGINS_DIR, each folder once")
    func directoriesFromEnvironment() {
        let directories = ModuleLoader.defaultDirectories(environment: ["ARMORY_MODULES_DIR": "/a::/b", "ARMORY_PLUGINS_DIR": "/c:/a"])
        #expect(Array(directories.dropFirst()) == ["/a", "/b", "/c"])
    }

    @Test("each bad file is refused with its reason, and the good modules still load")
    func refusals() throws {
        let bad = try SharedLibraryBuilder.temporaryDirectory("bad-modules")
        defer { try? FileManager.default.removeItem(at: bad) }
        try "this is not a library".write(to: bad.appendingPathComponent("libGarbage.so"), atomically: true, encoding: .utf8)
        try SharedLibraryBuilder.c("int something_else(void) { return 1; }", named: "libNoEntry.so", in: bad)
        try SharedLibraryBuilder.c("unsigned armory_module_entry(unsigned host, void *registrar) { return 99; }", named: "libOtherABI.so", in: bad)
        try SharedLibraryBuilder.c("unsigned armory_module_entry(unsigned host, void *registrar) { return host; }", named: "libSilent.so", in: bad)
        // A second copy of a built-in: the same name, from another file.
        try FileManager.default.copyItem(atPath: BuiltModules.directory + "/libPopularity.so", toPath: bad.appendingPathComponent("libPopularityCopy.so").path)
        try SharedLibraryBuilder.swift("""
            import ArmoryKit
            struct Broken: RecommendationAlgorithm {
                static let descriptor = AlgorithmDescriptor(name: "broken", version: "1.0.0")
                init(parameters: Parameters) throws { throw AlgorithmError("the model file is missing") }
                func recommend(_ request: RecommendationRequest, data: any DataSource) async throws -> [ScoredItem] { [] }
            }
            @_cdecl("armory_module_entry")
            public func entry(hostABIVersion: UInt32, registrar: UnsafeMutableRawPointer) -> UInt32 {
                ArmoryModule.export([Broken.self], hostABIVersion: hostABIVersion, registrar: registrar)
            }
            """, module: "Broken", named: "libBroken.so", in: bad, buildDirectory: BuiltModules.directory)

        var registry = AlgorithmRegistry()
        let report = ModuleLoader(directories: [BuiltModules.directory, bad.path]).load(into: &registry, logger: BuiltModules.quietLogger)
        #expect(report.loaded.map(\.name).sorted() == BuiltModules.loaded.report.loaded.map(\.name).sorted())
        #expect(registry.entry(named: "popularity")?.file.hasPrefix(BuiltModules.directory) == true)

        let reasons = Dictionary(uniqueKeysWithValues: report.refused.filter { $0.file.hasPrefix(bad.path) }
            .map { (URL(fileURLWithPath: $0.file).lastPathComponent, $0.reason) })
        #expect(reasons.keys.sorted() == ["libBroken.so", "libGarbage.so", "libNoEntry.so", "libOtherABI.so", "libPopularityCopy.so", "libSilent.so"])
        #expect(reasons["libGarbage.so"]?.hasPrefix("not a loadable shared library: ") == true)
        #expect(reasons["libNoEntry.so"] == "no entry point 'armory_module_entry': not an Armory algorithm module")
        #expect(reasons["libOtherABI.so"]?.hasPrefix("built against ArmoryKit ABI version 99, but this host uses version \(ArmoryModule.abiVersion)") == true)
        #expect(reasons["libSilent.so"] == "its entry point registered no algorithms")
        #expect(reasons["libPopularityCopy.so"] == "algorithm name 'popularity' is already registered by \(BuiltModules.directory)/libPopularity.so")
        #expect(reasons["libBroken.so"] == "algorithm 'broken' cannot be created with its default parameters: the model file is missing")
    }

    @Test("a module file cut short is refused before the dynamic loader maps it, and the others load")
    func truncatedFiles() throws {
        let bad = try SharedLibraryBuilder.temporaryDirectory("cut-modules")
        defer { try? FileManager.default.removeItem(at: bad) }
        let whole = try Data(contentsOf: URL(fileURLWithPath: BuiltModules.directory + "/libPopularity.so"))
        // The first 4 KB stopped the process with a bus error inside dlopen before the check.
        let cuts = ["libFirst4K.so": 4_096, "libHalf.so": whole.count / 2, "libHeaderOnly.so": 64, "libTiny.so": 10, "libEmpty.so": 0]
        for (name, length) in cuts {
            try whole.prefix(length).write(to: bad.appendingPathComponent(name))
        }
        var foreign = whole
        foreign[18] = 0xB7  // e_machine: AArch64 (or x86-64 on an AArch64 host)
        foreign[19] = 0
        if foreign[18...19] == whole[18...19] { foreign[18] = 0x3E }
        try foreign.write(to: bad.appendingPathComponent("libForeign.so"))

        var registry = AlgorithmRegistry()
        let report = ModuleLoader(directories: [BuiltModules.directory, bad.path]).load(into: &registry, logger: BuiltModules.quietLogger)
        #expect(report.loaded.map(\.name).sorted() == BuiltModules.loaded.report.loaded.map(\.name).sorted())
        let reasons = Dictionary(uniqueKeysWithValues: report.refused.filter { $0.file.hasPrefix(bad.path) }
            .map { (URL(fileURLWithPath: $0.file).lastPathComponent, $0.reason) })
        #expect(reasons.keys.sorted() == (Array(cuts.keys) + ["libForeign.so"]).sorted())
        #expect(reasons["libFirst4K.so"]?.contains("is cut short") == true, "\(reasons["libFirst4K.so"] ?? "loaded")")
        #expect(reasons["libHalf.so"]?.contains("is cut short") == true, "\(reasons["libHalf.so"] ?? "loaded")")
        #expect(reasons["libTiny.so"] == "not a loadable shared library: the file is 10 bytes, too short to be a shared library")
        #expect(reasons["libForeign.so"]?.contains("built for another processor") == true)
    }

    @Test("the registry refuses unknown algorithms and bad parameters with messages that name them")
    func registryErrors() throws {
        let registry = BuiltModules.registry
        #expect(throws: AlgorithmError("no algorithm named 'popular' is registered")) {
            try registry.makeAlgorithm(named: "popular")
        }
        #expect(throws: AlgorithmError("algorithm 'popularity' has no parameter 'window'")) {
            try registry.makeAlgorithm(named: "popularity", parameters: ["window": .integer(3)])
        }
        #expect(throws: AlgorithmError("parameter 'window_days' must be at least 1, not 0")) {
            try registry.makeAlgorithm(named: "popularity", parameters: ["window_days": .integer(0)])
        }
        #expect(throws: AlgorithmError("parameter 'neighbours' must be an integer, not a number")) {
            try registry.makeAlgorithm(named: "item-to-item", parameters: ["neighbours": .number(2.5)])
        }
    }
}
