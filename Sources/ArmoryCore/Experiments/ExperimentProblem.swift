/// One thing wrong with an experiment file, located so an editor can jump to it:
/// `path:line:column: field: message`.
public struct ExperimentProblem: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file, as given.
    public var path: String
    /// 1-based line, or `nil` when the problem is with the file as a whole (missing, unreadable).
    public var line: Int?
    /// 1-based column, counted in Unicode scalars.
    public var column: Int?
    /// Where in the experiment, e.g. `arms[1].weight`; empty for the file or document.
    public var field: String
    /// What is wrong, safe to show to anyone.
    public var message: String

    /// Creates a problem.
    public init(path: String, line: Int?, column: Int?, field: String = "", message: String) {
        self.path = path
        self.line = line
        self.column = column
        self.field = field
        self.message = message
    }

    public var description: String {
        var text = path
        if let line {
            text += ":\(line):\(column ?? 1)"
        }
        text += ": "
        if !field.isEmpty {
            text += "\(field): "
        }
        return text + message
    }
}
