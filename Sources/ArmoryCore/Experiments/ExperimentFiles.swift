import Foundation

/// Finds and reads experiment files: a directory means every `*.yaml` and `*.yml` directly in it
/// (sorted by name), a file means itself. Files over the size limit are refused without being read.
public enum ExperimentFiles {
    /// The sources at `paths`, and a problem for each path that could not be read.
    public static func read(_ paths: [String]) -> (sources: [ExperimentSource], problems: [ExperimentProblem]) {
        var sources: [ExperimentSource] = []
        var problems: [ExperimentProblem] = []
        let fileManager = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard fileManager.fileExists(atPath: path, isDirectory: &isDirectory) else {
                problems.append(ExperimentProblem(path: path, line: nil, column: nil, message: "no such file or directory"))
                continue
            }
            let files: [String]
            if isDirectory.boolValue {
                let names = (try? fileManager.contentsOfDirectory(atPath: path)) ?? []
                files = names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
                    .map { path.hasSuffix("/") ? path + $0 : path + "/" + $0 }
                if files.isEmpty {
                    problems.append(ExperimentProblem(path: path, line: nil, column: nil,
                                                      message: "directory holds no *.yaml or *.yml files"))
                }
            } else {
                files = [path]
            }
            for file in files {
                switch readFile(file) {
                case .success(let source): sources.append(source)
                case .failure(let problem): problems.append(problem)
                }
            }
        }
        return (sources, problems)
    }

    private static func readFile(_ path: String) -> Result<ExperimentSource, ExperimentProblem> {
        let size = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
        if size > ExperimentSource.maximumSize {
            return .failure(ExperimentProblem(path: path, line: nil, column: nil, message:
                "file is \(ExperimentSource.formatSize(size)); an experiment file may be at most \(ExperimentSource.formatSize(ExperimentSource.maximumSize))"))
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            return .failure(ExperimentProblem(path: path, line: nil, column: nil, message: "cannot be read (check its permissions)"))
        }
        defer { try? handle.close() }
        // Read one byte past the limit, so a file that grew since it was measured is still refused.
        let contents = (try? handle.read(upToCount: ExperimentSource.maximumSize + 1)) ?? Data()
        return .success(ExperimentSource(path: path, contents: contents))
    }
}
