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
                if isDirectory.boolValue, let problem = linkProblem(file, folder: path) {
                    problems.append(ExperimentProblem(path: file, line: nil, column: nil, message: problem))
                    continue
                }
                switch readFile(file) {
                case .success(let source): sources.append(source)
                case .failure(let problem): problems.append(problem)
                }
            }
        }
        return (sources, problems)
    }

    /// Why `file`, found in `folder`, is not read: a symbolic link that leads out of the folder
    /// (whoever can write the folder must not make the server read, and quote, any file it can).
    private static func linkProblem(_ file: String, folder: String) -> String? {
        let type = (try? FileManager.default.attributesOfItem(atPath: file))?[.type] as? FileAttributeType
        guard type == .typeSymbolicLink else { return nil }
        let target = URL(fileURLWithPath: file).resolvingSymlinksInPath().path
        let root = URL(fileURLWithPath: folder).resolvingSymlinksInPath().path
        guard target.hasPrefix(root.hasSuffix("/") ? root : root + "/") else {
            return "is a symbolic link to a file outside \(folder); links out of the experiments folder are not followed"
        }
        return nil
    }

    private static func readFile(_ path: String) -> Result<ExperimentSource, ExperimentProblem> {
        // A FIFO or a device would block the read or never end: only regular files are experiments.
        let type = (try? FileManager.default.attributesOfItem(atPath: URL(fileURLWithPath: path).resolvingSymlinksInPath().path))?[.type]
            as? FileAttributeType
        guard type == .typeRegular else {
            return .failure(ExperimentProblem(path: path, line: nil, column: nil, message: "is not a regular file"))
        }
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
