import ArgumentParser
import ArmoryKit
import ArmoryServer

/// `armory algorithms`: the algorithm modules this build can load, and the files it refused.
struct AlgorithmsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "algorithms",
        abstract: "List the algorithm modules found (name, version, file, parameters) and the files refused, with why.",
        discussion: "Exits with status 1 when no module loads at all."
    )

    @OptionGroup var modules: ModuleOptions

    @Option(help: "Output format: table or json.")
    var format: OutputFormat = .table

    func run() throws {
        let (registry, report) = modules.load()
        let listing = AlgorithmListing(
            directories: report.directories,
            algorithms: registry.all.map { entry in
                .init(name: entry.descriptor.name, version: entry.descriptor.version, summary: entry.descriptor.summary,
                      file: entry.file, parameters: entry.descriptor.parameters.map(AlgorithmListing.Parameter.init))
            },
            refused: report.refused.map { .init(file: $0.file, reason: $0.reason) }
        )
        switch format {
        case .json: try printJSON(listing)
        case .table: print(listing.table)
        }
        if let advice = report.emptyAdvice {
            printError("error: \(advice)")
            throw ExitCode(1)
        }
    }
}

/// What `armory algorithms` prints.
struct AlgorithmListing: Encodable {
    struct Algorithm: Encodable {
        var name: String
        var version: String
        var summary: String
        var file: String
        var parameters: [Parameter]
    }

    struct Parameter: Encodable {
        var name: String
        var type: String
        var `default`: ParameterValue?
        var minimum: Double?
        var maximum: Double?
        var summary: String

        init(_ spec: ParameterSpec) {
            name = spec.name
            type = spec.type.rawValue
            `default` = spec.defaultValue
            minimum = spec.minimum
            maximum = spec.maximum
            summary = spec.summary
        }
    }

    struct Refused: Encodable {
        var file: String
        var reason: String
    }

    var directories: [String]
    var algorithms: [Algorithm]
    var refused: [Refused]

    var table: String {
        var table = TextTable(header: ["algorithm", "version", "parameters (default)", "file"], leftAligned: [0, 1, 2, 3])
        for algorithm in algorithms {
            let parameters = algorithm.parameters.map { parameter in
                "\(parameter.name)=\(parameter.default.map { "\($0)" } ?? "(required)")"
            }
            table.rows.append([algorithm.name, algorithm.version, parameters.isEmpty ? "-" : parameters.joined(separator: " "), algorithm.file])
        }
        var lines = [table.rendered]
        for refusal in refused {
            lines.append("refused \(refusal.file): \(refusal.reason)")
        }
        return lines.joined(separator: "\n")
    }
}
