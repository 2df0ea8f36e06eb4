import ArmoryKit

/// Validates a set of experiment files together: each file on its own (``ExperimentDecoder``),
/// then ids across files. A bad file is reported and left out; the others still load.
public struct ExperimentValidator: Sendable {
    /// The decoder applied to each file.
    public let decoder: ExperimentDecoder

    /// Creates a validator; with `algorithms: nil` algorithm names and parameters are not checked.
    public init(algorithms: [AlgorithmDescriptor]?) {
        decoder = ExperimentDecoder(algorithms: algorithms)
    }

    /// Every file's result, in the order given. When two files declare the same id, the first
    /// (in path order) keeps it and each later one is refused with a problem naming the first.
    public func validate(_ sources: [ExperimentSource]) -> [ExperimentFileResult] {
        var results = sources.map(decoder.decode)
        var owners: [String: (path: String, line: Int)] = [:]
        for index in results.indices.sorted(by: { results[$0].path < results[$1].path }) {
            guard let declared = results[index].declaredID else { continue }
            if let owner = owners[declared.id] {
                results[index].problems.append(ExperimentProblem(
                    path: results[index].path, line: declared.line, column: declared.column, field: "id",
                    message: "duplicate experiment id '\(declared.id)': \(owner.path):\(owner.line) already declares it"
                ))
                results[index].experiment = nil
            } else {
                owners[declared.id] = (results[index].path, declared.line)
            }
        }
        return results
    }
}
