import Foundation
import PackagePlugin

/// `swift package --allow-writing-to-package-directory new-algorithm Name`: creates
/// `Plugins/Name/Name.swift`, a working algorithm module, and adds `Name` to the list of
/// modules in Package.swift, so that the next `swift build` builds `libName.so` and the host
/// loads it.
@main
struct NewAlgorithm: CommandPlugin {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    func performCommand(context: PluginContext, arguments: [String]) async throws {
        guard arguments.count == 1, let name = arguments.first else {
            throw Failure(description: "usage: swift package --allow-writing-to-package-directory new-algorithm Name (one UpperCamelCase name)")
        }
        guard name.first?.isUppercase == true, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }), name.count <= 64 else {
            throw Failure(description: "'\(name)' is not a module name: use UpperCamelCase ASCII letters and digits, e.g. MostLiked")
        }
        let root = context.package.directoryURL
        let folder = root.appendingPathComponent("Plugins").appendingPathComponent(name)
        let manifestURL = root.appendingPathComponent("Package.swift")
        guard !FileManager.default.fileExists(atPath: folder.path) else {
            throw Failure(description: "Plugins/\(name) already exists; pick another name")
        }
        let manifest = try String(contentsOf: manifestURL, encoding: .utf8)
        let updated = try Self.addingModule(name, to: manifest)

        let algorithmName = Self.kebabCase(name)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Self.source(type: name, algorithm: algorithmName)
            .write(to: folder.appendingPathComponent("\(name).swift"), atomically: true, encoding: .utf8)
        try updated.write(to: manifestURL, atomically: true, encoding: .utf8)
        print("""
        Created Plugins/\(name)/\(name).swift: the algorithm '\(algorithmName)'.
        Added "\(name)" to algorithmModules in Package.swift.
        Next: swift build, then `swift run armory algorithms` lists it; use it in an experiment as `algorithm: \(algorithmName)`.
        """)
    }

    /// `manifest` with `name` added, in order, to the `algorithmModules` list.
    static func addingModule(_ name: String, to manifest: String) throws -> String {
        guard let start = manifest.range(of: "let algorithmModules = ["),
              let end = manifest.range(of: "]", range: start.upperBound..<manifest.endIndex) else {
            throw Failure(description: "Package.swift has no `let algorithmModules = [ … ]` list to add the module to")
        }
        let body = manifest[start.upperBound..<end.lowerBound]
        var names = body.split(whereSeparator: { $0 == "," || $0.isNewline })
            .map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
            .filter { !$0.isEmpty }
        guard !names.contains(name) else {
            throw Failure(description: "Package.swift already lists \"\(name)\"")
        }
        names.append(name)
        names.sort()
        let list = "\n" + names.map { "    \"\($0)\",\n" }.joined()
        return manifest.replacingCharacters(in: start.upperBound..<end.lowerBound, with: list)
    }

    /// `MostLiked` → `most-liked`.
    static func kebabCase(_ name: String) -> String {
        var result = ""
        for character in name {
            if character.isUppercase, !result.isEmpty { result += "-" }
            result += character.lowercased()
        }
        return result
    }

    static func source(type: String, algorithm: String) -> String {
        """
        import ArmoryKit
        import Foundation

        /// Unseen movies, most viewed in the last `window_days` first.
        /// Replace the body of `recommend` with your own ranking.
        public struct \(type): RecommendationAlgorithm {
            public static let descriptor = AlgorithmDescriptor(
                name: "\(algorithm)",
                version: "0.1.0",
                summary: "Unseen movies, most viewed in the last window_days first",
                parameters: [
                    ParameterSpec(name: "window_days", type: .integer, defaultValue: .integer(7), minimum: 1, maximum: 365,
                                  summary: "How many days of views count"),
                ]
            )

            let window: TimeInterval

            public init(parameters: Parameters) throws {
                window = TimeInterval(try parameters.integer("window_days")) * 86_400
            }

            public func recommend(_ request: RecommendationRequest, data: any DataSource) async throws -> [ScoredItem] {
                let seen = try await data.history(of: request.userID, since: nil).seenMovieIDs
                let excluded = request.exclusions.union(seen)
                let since = request.time.addingTimeInterval(-window)
                let popular = try await data.popularMovies(genre: nil, since: since, limit: request.limit + excluded.count)
                let items = popular.filter { !excluded.contains($0.movieID) }.prefix(request.limit)
                    .map { ScoredItem(movieID: $0.movieID, score: Double($0.count)) }
                return try await data.filled(Array(items), to: request.limit, excluding: excluded)
            }
        }

        @_cdecl("armory_module_entry")
        public func armoryModuleEntry(hostABIVersion: UInt32, registrar: UnsafeMutableRawPointer) -> UInt32 {
            ArmoryModule.export([\(type).self], hostABIVersion: hostABIVersion, registrar: registrar)
        }

        """
    }
}
