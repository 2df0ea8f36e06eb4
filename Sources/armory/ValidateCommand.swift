import ArgumentParser
import ArmoryCore
import ArmoryServer
import Foundation

/// `armory validate`: check experiment files and print every problem, located.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check experiment files; print each problem as path:line:column: message.",
        discussion: "Exits with status 1 when any file has a problem. A directory means every *.yaml and *.yml in it."
    )

    @Argument(help: "Experiment files or directories.")
    var paths: [String] = ["experiments"]

    @Option(help: "Output format: table (one line per problem) or json.")
    var format: OutputFormat = .table

    @OptionGroup var modules: ModuleOptions

    func run() throws {
        let (sources, readProblems) = ExperimentFiles.read(paths)
        let (registry, moduleReport) = modules.load()
        // With no module loaded there is nothing to check arms against, and the output says so
        // rather than calling every algorithm unknown.
        let algorithms = moduleReport.loaded.isEmpty ? nil : registry.descriptors
        let results = ExperimentValidator(algorithms: algorithms).validate(sources)
        let problems = readProblems + results.flatMap(\.problems)
        switch format {
        case .table:
            for problem in problems { print(problem) }
            let valid = results.filter { $0.experiment != nil }.count
            let summary = "\(results.count) file\(results.count == 1 ? "" : "s") checked: \(valid) valid, "
                + "\(problems.count) problem\(problems.count == 1 ? "" : "s")"
            printError(summary)
            for refusal in moduleReport.refused {
                printError("note: refused algorithm module \(refusal.file): \(refusal.reason)")
            }
            if let advice = moduleReport.emptyAdvice {
                printError("note: algorithm names and parameters were not checked: \(advice)")
            }
        case .json:
            let report = ValidationReport(
                valid: problems.isEmpty,
                algorithmsChecked: algorithms != nil,
                files: results.map { result in
                    .init(path: result.path, experiment: result.experiment?.id, valid: result.experiment != nil,
                          problems: result.problems.map(ValidationReport.Problem.init))
                },
                unreadable: readProblems.map(ValidationReport.Problem.init)
            )
            try printJSON(report)
        }
        if !problems.isEmpty {
            throw ExitCode(1)
        }
    }
}

/// The JSON shape of `armory validate --format json`.
struct ValidationReport: Encodable {
    struct File: Encodable {
        var path: String
        var experiment: String?
        var valid: Bool
        var problems: [Problem]
    }

    struct Problem: Encodable {
        var path: String
        var line: Int?
        var column: Int?
        var field: String
        var message: String

        init(_ problem: ExperimentProblem) {
            path = problem.path
            line = problem.line
            column = problem.column
            field = problem.field
            message = problem.message
        }
    }

    var valid: Bool
    var algorithmsChecked: Bool
    var files: [File]
    var unreadable: [Problem]
}
