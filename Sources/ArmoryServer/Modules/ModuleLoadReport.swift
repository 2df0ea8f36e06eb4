/// What loading the algorithm modules found: where it looked, what it loaded and what it
/// refused, and why.
public struct ModuleLoadReport: Sendable, Codable {
    /// One algorithm loaded from a module file.
    public struct Loaded: Sendable, Codable, Hashable {
        /// The algorithm's registered name.
        public var name: String
        /// The algorithm's version.
        public var version: String
        /// The shared library it came from.
        public var file: String
    }

    /// A file that was not loaded, and why.
    public struct Refused: Sendable, Codable, Hashable {
        /// The file.
        public var file: String
        /// Why, in words that say what to do about it.
        public var reason: String
    }

    /// The directories searched, in order, as given (a missing one is not an error).
    public var directories: [String] = []
    /// The algorithms loaded, in load order.
    public var loaded: [Loaded] = []
    /// The files refused, in load order.
    public var refused: [Refused] = []

    /// The advice to print when nothing loaded: where the loader looked and how to build modules.
    public var emptyAdvice: String? {
        guard loaded.isEmpty else { return nil }
        let places = directories.isEmpty ? "(no directories)" : directories.joined(separator: ", ")
        return "no algorithm modules were found in \(places); build them with `swift build` "
            + "(plain `swift run` builds only the executable) or point ARMORY_MODULES_DIR at the folder holding their lib*.so files"
    }
}
