import ArgumentParser

/// `armory`: run experiments between algorithm modules.
@main
struct ArmoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "armory",
        abstract: "Run experiments between recommendation algorithms and move traffic to the winner.",
        discussion: """
        Experiments live in experiments/*.yaml. Check them with `armory validate`, list the \
        algorithm modules with `armory algorithms`, explore the statistics with `armory stats`, \
        and try a policy offline with `armory simulate`.
        """,
        version: "0.1.0",
        subcommands: [ValidateCommand.self, AlgorithmsCommand.self, DemoCommand.self, StatsCommand.self, SimulateCommand.self]
    )
}

/// How a command prints data.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table
    case json
}
