import ArmoryKit
import Foundation
import Yams

/// Turns one experiment file into an ``Experiment``, or into every problem that stops it from
/// being one: syntax, unknown keys, types, ranges, weights, arms and (when a list of algorithm
/// descriptors is given) algorithm names and parameters.
public struct ExperimentDecoder: Sendable {
    /// At most this many arms per experiment.
    public static let maximumArms = 100

    static let rootKeys = ["id", "description", "unit", "objective", "policy", "coverage", "fallback", "seed", "status", "time_budget", "arms", "bandit",
                           "guardrails", "safety"]
    static let armKeys = ["name", "algorithm", "params", "weight"]
    static let banditKeys = ["update_every", "burn_in", "min_weight", "prior", "rates"]
    static let guardrailKeys = ["metric", "direction", "tolerance", "reference", "action", "min_trials"]
    static let safetyKeys = ["alpha", "on_mismatch", "mismatch_p_value"]
    /// At most this many guardrails per experiment.
    public static let maximumGuardrails = 20
    static let burnInKeys = ["min_trials_per_arm", "min_duration"]
    static let priorKeys = ["alpha", "beta"]

    /// The algorithms arms may use, by name; `nil` when they are not known (no modules loaded),
    /// in which case algorithm names and parameters are not checked.
    public let algorithms: [String: AlgorithmDescriptor]?

    /// Creates a decoder that checks arms against `algorithms`, or does not check them when `nil`.
    public init(algorithms: [AlgorithmDescriptor]?) {
        self.algorithms = algorithms.map { Dictionary($0.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first }) }
    }

    /// The experiment in `source`, or the problems that stop it from being one.
    public func decode(_ source: ExperimentSource) -> ExperimentFileResult {
        let text: String
        switch source.text() {
        case .success(let decoded): text = decoded
        case .failure(let problem): return ExperimentFileResult(path: source.path, problems: [problem])
        }
        if let anchor = AnchorScanner.firstAnchor(in: text) {
            return ExperimentFileResult(path: source.path, problems: [ExperimentProblem(
                path: source.path, line: anchor.line, column: anchor.column,
                message: "YAML anchors (&name) and aliases (*name) are not supported in experiment files; write the values out"
            )])
        }
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                return ExperimentFileResult(path: source.path, problems: [ExperimentProblem(
                    path: source.path, line: nil, column: nil,
                    message: "file holds no YAML document (only blank lines or comments); it should hold one experiment"
                )])
            }
            root = node
        } catch {
            return ExperimentFileResult(path: source.path, problems: [Self.syntaxProblem(error, path: source.path)])
        }
        var state = DecodingState(reader: YAMLReader(path: source.path), algorithms: algorithms)
        let experiment = state.experiment(from: root)
        // Reported in file order, however the walk found them.
        let problems = state.reader.problems.enumerated().sorted { first, second in
            let (a, b) = (first.element, second.element)
            return (a.line ?? 0, a.column ?? 0, first.offset) < (b.line ?? 0, b.column ?? 0, second.offset)
        }.map(\.element)
        return ExperimentFileResult(
            path: source.path,
            experiment: problems.isEmpty ? experiment : nil,
            problems: problems,
            declaredID: state.declaredID,
            text: text
        )
    }

    /// A YAML syntax error, located, in libyaml's words plus where the construct it was
    /// reading began.
    static func syntaxProblem(_ error: any Error, path: String) -> ExperimentProblem {
        func located(_ message: String, _ mark: Mark?) -> ExperimentProblem {
            ExperimentProblem(path: path, line: mark?.line, column: mark?.column, message: message)
        }
        switch error as? YamlError {
        case .composer(_, "but found another document", let mark, _):
            return located("file holds more than one YAML document ('---'); put one experiment per file", mark)
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            var message = "YAML syntax error: \(problem)"
            if let context {
                message += " \(context.text) (which began at line \(context.mark.line), column \(context.mark.column))"
            }
            return located(message, mark)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return located("duplicate key \(keys) in the mapping that begins here; each key may appear once", context.mark)
        case .reader(let problem, _, _, _):
            return located("unreadable YAML: \(problem)", nil)
        default:
            return located("unreadable YAML: \(error)", nil)
        }
    }
}

/// What decoding one file produced.
public struct ExperimentFileResult: Sendable {
    /// The file, as given.
    public var path: String
    /// The experiment, present exactly when there are no problems.
    public var experiment: Experiment?
    /// Everything wrong with the file, in the order found.
    public var problems: [ExperimentProblem]
    /// The `id` the file declares and where, even when other fields have problems, so that
    /// duplicate ids across files can be reported.
    public var declaredID: (id: String, line: Int, column: Int)?
    /// The file's text, when it was readable.
    public var text: String?

    init(path: String, experiment: Experiment? = nil, problems: [ExperimentProblem],
         declaredID: (id: String, line: Int, column: Int)? = nil, text: String? = nil) {
        self.path = path
        self.experiment = experiment
        self.problems = problems
        self.declaredID = declaredID
        self.text = text
    }
}
