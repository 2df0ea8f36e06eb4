import ArgumentParser
import ArmoryCore
import ArmoryKit
import ArmoryServer
import Foundation

/// `armory validate`: check experiment files and print every problem, located.
struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check experiment files; print each problem as path:line:column: message.",
        discussion: """
        Exits with status 1 when any file has a problem. A directory means every *.yaml and *.yml in it. \
        Arms whose algorithm serves a trained model are checked against the model registry in the state \
        store (ARMORY_DATABASE_URL or --database, as `armory serve` finds it): the model and its alias or \
        version must exist.
        """
    )

    @Argument(help: "Experiment files or directories.")
    var paths: [String] = ["experiments"]

    @Option(help: "Output format: table (one line per problem) or json.")
    var format: OutputFormat = .table

    @OptionGroup var stores: LocalStoreOptions

    func run() async throws {
        let (sources, readProblems) = ExperimentFiles.read(paths)
        let (registry, moduleReport) = stores.modules.load()
        // With no module loaded there is nothing to check arms against, and the output says so
        // rather than calling every algorithm unknown.
        let algorithms = moduleReport.loaded.isEmpty ? nil : registry.descriptors
        var results = ExperimentValidator(algorithms: algorithms).validate(sources)
        await checkModels(&results, sources: sources, registry: registry)
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

extension ValidateCommand {
    /// Adds a problem to each result with an arm whose model reference is malformed or names a
    /// model, version or alias the registry does not have. The store is opened only when some
    /// arm serves a model.
    func checkModels(_ results: inout [ExperimentFileResult], sources: [ExperimentSource], registry: AlgorithmRegistry) async {
        let arms = results.indices.flatMap { index in
            (results[index].experiment?.arms ?? []).enumerated().compactMap { position, arm -> (Int, Int, String)? in
                guard registry.servesModels(arm.algorithm), case .string(let text)? = arm.parameters["model"] else { return nil }
                return (index, position, text)
            }
        }
        guard !arms.isEmpty else { return }
        let problems: [(Int, Int, String)]
        do {
            problems = try await stores.withModels { _, models, _ in
                var found: [(Int, Int, String)] = []
                for (index, position, text) in arms {
                    do {
                        _ = try await models.resolve(try ModelReference(parsing: text))
                    } catch let error as ArmoryError {
                        found.append((index, position, error.message))
                    }
                }
                return found
            }
        } catch {
            problems = arms.map { ($0.0, $0.1, "cannot check model '\($0.2)': the model registry could not be read: \(error)") }
        }
        for (index, position, message) in problems {
            let location = index < sources.count ? sources[index].location(ofArm: position, parameter: "model") : nil
            results[index].problems.append(ExperimentProblem(path: results[index].path, line: location?.line, column: location?.column,
                                                             field: "arms[\(position)].params.model", message: message))
            results[index].experiment = nil
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
