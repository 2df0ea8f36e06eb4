import ArgumentParser

/// `armory`: run experiments between algorithm modules.
@main
struct ArmoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "armory",
        abstract: "Run experiments between recommendation algorithms and move traffic to the winner.",
        discussion: """
        Start with `armory serve`. Experiments live in experiments/*.yaml: check them with `armory validate`. \
        Talk to a running server with `armory experiments`, `results`, `weights`, `audit`, `rollback`, `pause`, `resume` \
        and `reload`; \
        send it simulated users with `armory demo traffic`. List the algorithm modules with `armory algorithms`, \
        explore the statistics with `armory stats`, and try a policy offline with `armory simulate`.
        """,
        version: "0.1.0",
        subcommands: [ServeCommand.self, WorkerCommand.self, ExperimentsCommand.self, ResultsCommand.self, WeightsCommand.self, AuditCommand.self,
                      RollbackCommand.self, RestoreCommand.self, PauseCommand.self, ResumeCommand.self, ReloadCommand.self, ValidateCommand.self, AlgorithmsCommand.self,
                      DemoCommand.self, StatsCommand.self, SimulateCommand.self, TrainCommand.self, EvaluateCommand.self,
                      ModelsCommand.self]
    )
}

/// How a command prints data.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table
    case json
}
