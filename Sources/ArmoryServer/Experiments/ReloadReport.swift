import ArmoryCore

/// What loading the experiment files did: which experiments serve which config version, which
/// files were refused and why, and which experiments stopped serving because their file went away.
public struct ReloadReport: Sendable, Codable, Hashable {
    /// An experiment serving after the load.
    public struct Loaded: Sendable, Codable, Hashable {
        /// The experiment.
        public var id: String
        /// The config version it serves.
        public var configVersion: Int
        /// Whether the load made that version (the file changed, or is new).
        public var isNewVersion: Bool
        /// The file.
        public var file: String
    }

    /// A file refused, with every problem found in it.
    public struct Refused: Sendable, Codable, Hashable {
        /// The file.
        public var file: String
        /// Each problem, located: `path:line:column: field: message`.
        public var problems: [String]
        /// The experiment that keeps serving its previous version, when the file had one.
        public var keptServing: String?
    }

    /// Experiments serving, by id.
    public var loaded: [Loaded] = []
    /// Files refused.
    public var refused: [Refused] = []
    /// Experiments no longer served because their file is gone.
    public var removed: [String] = []
    /// Algorithms from module files loaded by this reload (built since the last look).
    public var newAlgorithms: [String] = []
    /// Module files refused now, and why (one rebuilt since it was loaded needs a restart).
    public var refusedModules: [ModuleLoadReport.Refused] = []

    /// Creates an empty report.
    public init() {}
}
