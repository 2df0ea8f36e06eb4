import ArgumentParser
import ArmoryCore
import ArmoryStorage
import Foundation

/// `armory demo`: demo data for trying Armory out.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Demo data: a synthetic movie catalog, users with views and likes, and simulated traffic.",
        subcommands: [DemoSeedCommand.self, DemoTrafficCommand.self]
    )
}

/// `armory demo seed`: load the synthetic catalog and audience into the state store.
struct DemoSeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Load a synthetic catalog and users' views and likes into the state store.",
        discussion: """
        The store is $ARMORY_DATABASE_URL (postgres://user:password@host:port/database) or, by default, \
        the SQLite file \(SQLiteStateStore.defaultPath). The same --seed gives the same data. Refuses a store \
        that already has views unless --replace is given (experiment history is never touched).
        """
    )

    @Option(help: "Movies in the catalog.")
    var movies: Int = 5_000

    @Option(help: "Users, each with views and likes.")
    var users: Int = 10_000

    @Option(help: "Seed of the generator.")
    var seed: UInt64 = 1

    @Option(help: "The state store (overrides ARMORY_DATABASE_URL): a postgres:// URL or a SQLite file path.")
    var database: String?

    @Flag(help: "Clear the existing catalog, views and likes first.")
    var replace = false

    func validate() throws {
        guard movies >= 1 else { throw ValidationError("--movies must be at least 1") }
        guard users >= 0 else { throw ValidationError("--users must not be negative") }
    }

    func run() async throws {
        do {
            let location = try StateStoreLocation(database ?? ProcessInfo.processInfo.environment[StateStoreLocation.environmentVariable])
            let data = DemoData(movies: movies, users: users, seed: seed)
            let replace = replace
            let userCount = users
            let summary = try await location.withStore { store in
                let existing = try await store.counts()
                if existing.views + existing.likes + existing.movies > 0 {
                    guard replace else {
                        throw StorageError(.refused, "\(store.location) already holds \(existing.movies) movies and "
                            + "\(existing.views + existing.likes) views and likes; add --replace to clear them first")
                    }
                    try await store.clearCatalogAndActivity()
                }
                let bar = ProgressBar(total: userCount, label: "users")
                return try await DemoSeeder(data: data).seed(into: store) { bar.update($0) }
            }
            print("seeded \(location): \(summary.movies) movies, \(summary.users) users, \(summary.views) views, \(summary.likes) likes "
                + "in \(fixed(summary.seconds, 1)) s (\(Int(summary.rowsPerSecond)) rows/s)")
        } catch let error as StorageError {
            printError("error: \(error.message)")
            throw ExitCode(1)
        }
    }
}
