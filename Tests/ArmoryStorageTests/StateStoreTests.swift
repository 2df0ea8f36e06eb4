import ArmoryCore
import ArmoryKit
import ArmoryStorage
import ArmoryTestSupport
import Foundation
import Testing

/// One suite, run against both stores: what one store does, the other must do the same.
@Suite("StateStore: the same behaviour from SQLite and PostgreSQL")
struct StateStoreTests {
    static let now = Date(timeIntervalSince1970: 1_795_608_000)

    @Test("migrations apply once, are recorded, and are idempotent", arguments: StoreKind.allCases)
    func migrations(kind: StoreKind) async throws {
        try await TestStores.withFreshStore(kind) { store, _ in
            // withFreshStore already migrated once; again changes nothing.
            let versions = [try await store.migrate(), try await store.migrate()]
            #expect(versions == [4, 4])
            #expect(try await store.counts() == StateCounts(movies: 0, users: 0, views: 0, likes: 0))
        }
    }

    @Test("a database from a newer schema version is refused with one line naming it", arguments: StoreKind.allCases)
    func newerSchema(kind: StoreKind) async throws {
        try await TestStores.withFreshStore(kind) { store, location in
            try await TestStores.executeRaw("INSERT INTO armory_migrations (version, name, applied_at) VALUES (99, 'from the future', "
                + (kind == .sqlite ? "0)" : "now())"), kind: kind, location: location)
            do {
                try await store.migrate()
                Issue.record("a newer schema was accepted")
            } catch let error as StorageError {
                #expect(error.code == .schemaTooNew)
                #expect(error.message == "\(store.location) has schema version 99, newer than this Armory's 4: upgrade Armory, or point it at another database")
                #expect(!error.message.contains("armory-test"))
            }
        }
    }

    @Test("the catalog round-trips, and saving a movie again replaces it", arguments: StoreKind.allCases)
    func catalog(kind: StoreKind) async throws {
        try await TestStores.withFreshStore(kind) { store, _ in
            let movies = [
                Movie(id: 2, title: "Heat", genres: ["crime", "drama"], year: 1995),
                Movie(id: 1, title: "Alien — the director's cut", genres: ["sci-fi", "horror"], year: 1979),
                Movie(id: 3, title: "Up", genres: ["animation"], year: 2009),
            ]
            try await store.saveMovies(movies)
            #expect(try await store.movies() == movies.sorted { $0.id < $1.id })
            try await store.saveMovies([Movie(id: 3, title: "Up", genres: ["family"], year: 2009)])
            #expect(try await store.movies().last == Movie(id: 3, title: "Up", genres: ["family"], year: 2009))
            #expect(try await store.popularMovies(genre: "animation", since: nil, limit: 5).isEmpty)
        }
    }

    @Test("a user's history comes back newest first, filtered by time; an unknown user has none", arguments: StoreKind.allCases)
    func history(kind: StoreKind) async throws {
        try await TestStores.withFreshStore(kind) { store, _ in
            let day = 86_400.0
            try await store.appendViews([
                UserEvent(userID: "ana", movieID: 1, time: Self.now.addingTimeInterval(-3 * day)),
                UserEvent(userID: "ana", movieID: 2, time: Self.now.addingTimeInterval(-1 * day)),
                UserEvent(userID: "bo", movieID: 1, time: Self.now),
                UserEvent(userID: "ana", movieID: 3, time: Self.now.addingTimeInterval(-10 * day)),
            ])
            try await store.appendLikes([UserEvent(userID: "ana", movieID: 2, time: Self.now.addingTimeInterval(-0.5 * day))])
            let all = try await store.history(of: "ana", since: nil)
            #expect(all.views.map(\.movieID) == [2, 1, 3])
            #expect(all.likes.map(\.movieID) == [2])
            #expect(abs(all.views[0].time.timeIntervalSince(Self.now.addingTimeInterval(-day))) < 0.001)
            let recent = try await store.history(of: "ana", since: Self.now.addingTimeInterval(-2 * day))
            #expect(recent.views.map(\.movieID) == [2])
            #expect(try await store.history(of: "nobody", since: nil) == UserHistory())
            #expect(try await store.counts() == StateCounts(movies: 0, users: 2, views: 4, likes: 1))
        }
    }

    @Test("popular and co-watched lists equal the ones computed independently from the events", arguments: StoreKind.allCases)
    func popularAndCoWatched(kind: StoreKind) async throws {
        let data = DemoData(movies: 60, users: 120, seed: 7, now: Self.now)
        try await TestStores.withFreshStore(kind) { store, _ in
            let summary = try await DemoSeeder(data: data, usersPerBatch: 50).seed(into: store)
            let users = (0..<data.userCount).map(data.user)
            #expect(try await store.counts() == StateCounts(movies: 60, users: users.filter { !$0.views.isEmpty }.count,
                                                           views: summary.views, likes: summary.likes))
            let since = Self.now.addingTimeInterval(-30 * 86_400)
            for genre in [nil, "drama", "sci-fi"] as [String?] {
                // By hand: count each view at or after `since` whose movie is in the genre.
                var counts: [Int: Int] = [:]
                for user in users {
                    for view in user.views where view.time >= since {
                        if let genre, !data.movies[view.movieID - 1].genres.contains(genre) { continue }
                        counts[view.movieID, default: 0] += 1
                    }
                }
                let expected = counts.map { MovieCount(movieID: $0.key, count: $0.value) }
                    .sorted { $0.count != $1.count ? $0.count > $1.count : $0.movieID < $1.movieID }
                #expect(try await store.popularMovies(genre: genre, since: since, limit: 15) == Array(expected.prefix(15)))
            }
            // Every (movie, user) pair with a view or a like, as the store hands them to the co-watch
            // index: one per view and like, users numbered; an index built from them agrees with
            // the in-memory source, which counts co-watching on its own.
            let watches = try await store.watches()
            #expect(watches.count == summary.views + summary.likes)
            #expect(watches.userCount == users.filter { !($0.views.isEmpty && $0.likes.isEmpty) }.count)
            let memory = InMemoryDataSource(
                catalog: data.movies,
                views: Dictionary(uniqueKeysWithValues: users.map { ($0.id, $0.views) }),
                likes: Dictionary(uniqueKeysWithValues: users.map { ($0.id, $0.likes) })
            )
            let index = try CoWatchIndex(watches)
            for movie in [1, 2, 5, 17, 42] {
                let expected = try await memory.coWatchedMovies(with: movie, limit: 12)
                #expect(index.neighbours(of: movie, limit: 12) == expected, "movie \(movie)")
            }
            // The histories a server warms its cache with are what a history read answers,
            // for the most recently active users first.
            let warmed = watches.newestHistories(users: 30, limit: 7)
            #expect(warmed.count == 30)
            let newest = users.map { user in (user.id, (user.views + user.likes).map(\.time).max() ?? .distantPast) }
                .sorted { $0.1 > $1.1 }.prefix(30).map(\.0)
            #expect(warmed.map(\.userID) == newest)
            for (user, history) in warmed {
                #expect(history == (try await store.history(of: user, since: nil, limit: 7)), "\(user)")
            }
        }
    }

    @Test("config versions number 1, 2, 3 and keep the YAML, its SHA-256 and the parsed experiment", arguments: StoreKind.allCases)
    func configVersions(kind: StoreKind) async throws {
        try await TestStores.withFreshStore(kind) { store, _ in
            let experiment = Experiment(id: "rail", objective: .ctr, policy: .thompson, fallback: "a", timeBudget: .milliseconds(80),
                                        arms: [Arm(name: "a", algorithm: "popularity", parameters: ["window_days": .integer(7)], weight: 0.5),
                                               Arm(name: "b", algorithm: "history", weight: 0.5)],
                                        bandit: BanditSettings(minWeight: 0.05))
            var stored: [ConfigVersion] = []
            for yaml in ["abc", "id: rail\n", "id: rail # changed\n"] {
                stored.append(try await store.appendConfigVersion(NewConfigVersion(
                    experiment: experiment, yaml: yaml, sourceFile: "experiments/rail.yaml", actor: "config", createdAt: Self.now)))
            }
            #expect(stored.map(\.version) == [1, 2, 3])
            // SHA-256("abc"), from FIPS 180-2's test vectors.
            #expect(stored[0].sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
            let read = try await store.configVersions(of: "rail")
            #expect(read == stored)
            #expect(read[0].experiment == experiment)
            #expect(try await store.configVersions(of: "other").isEmpty)
        }
    }

    @Test("weight versions round-trip every field, numbered by the store", arguments: StoreKind.allCases)
    func weightVersions(kind: StoreKind) async throws {
        try await TestStores.withFreshStore(kind) { store, _ in
            let inputs = [ArmObservation(arm: "a", trials: 1_000, successes: 40), ArmObservation(arm: "b", trials: 990, successes: 52,
                                                                                               valueSum: 12.5, valueSumOfSquares: 80.25)]
            let first = WeightVersion.initial(for: Experiment(id: "rail", objective: .ctr, fallback: "a",
                                                              arms: [Arm(name: "a", algorithm: "x", weight: 0.5), Arm(name: "b", algorithm: "y", weight: 0.5)]),
                                              at: Self.now)
            let second = WeightVersion(experimentID: "rail", version: 77, configVersion: 2, arms: ["a", "b"], inputs: inputs,
                                       method: .monteCarlo(draws: 100_000, seed: UInt64.max - 5), seed: 18_446_744_073_709_551_000,
                                       probabilityBest: [0.0569, 0.9431], weights: [0.0652, 0.9348], reason: .scheduled,
                                       actor: "worker", note: "P(best) moved", createdAt: Self.now.addingTimeInterval(300.125))
            let stored = [try await store.appendWeightVersion(first), try await store.appendWeightVersion(second)]
            #expect(stored.map(\.version) == [1, 2])
            var expected = second
            expected.version = 2
            #expect(stored[1] == expected)
            #expect(try await store.weightVersions(of: "rail") == stored)
        }
    }

    @Test("a compare-and-append lands only onto the version it read; of two racing, exactly one lands", arguments: StoreKind.allCases)
    func appendAfter(kind: StoreKind) async throws {
        try await TestStores.withFreshStore(kind) { store, _ in
            func version(_ note: String, dropped: [String] = []) -> WeightVersion {
                WeightVersion(experimentID: "race", version: 0, configVersion: 1, arms: ["a", "b"], weights: [1, 0], droppedArms: dropped,
                              reason: .guardrail, actor: "worker", note: note, createdAt: Self.now)
            }
            _ = try await store.appendWeightVersion(version("initial"))
            let landed = try #require(try await store.appendWeightVersion(version("after 1", dropped: ["b"]), after: 1))
            #expect(landed.version == 2 && landed.droppedArms == ["b"])
            // A worker that read version 1 before a person's version 2: refused, nothing written.
            #expect(try await store.appendWeightVersion(version("stale"), after: 1) == nil)
            #expect(try await store.weightVersions(of: "race").map(\.note) == ["initial", "after 1"])
            let results = try await withThrowingTaskGroup(of: WeightVersion?.self) { group in
                for index in 0..<8 { group.addTask { try await store.appendWeightVersion(version("racer \(index)"), after: 2) } }
                return try await group.reduce(into: [WeightVersion?]()) { $0.append($1) }
            }
            #expect(results.compactMap { $0 }.count == 1 && results.compactMap { $0 }.first?.version == 3)
            #expect(try await store.weightVersions(of: "race").count == 3)
        }
    }

    @Test("audit entries by action and time: every one, oldest first, however many newer entries follow", arguments: StoreKind.allCases)
    func auditByAction(kind: StoreKind) async throws {
        try await TestStores.withFreshStore(kind) { store, _ in
            func entry(_ action: String, _ experiment: String = "exp", at offset: Double) -> NewAuditEntry {
                NewAuditEntry(experimentID: experiment, actor: "worker", action: action, reason: "r", detail: "\(action)@\(offset)",
                              createdAt: Self.now.addingTimeInterval(offset))
            }
            _ = try await store.appendAuditEntry(entry("guardrail", at: -10))          // before the phase
            _ = try await store.appendAuditEntry(entry("guardrail", at: 5))
            _ = try await store.appendAuditEntry(entry("guardrail", "other", at: 6))
            _ = try await store.appendAuditEntry(entry("sample_ratio_mismatch", at: 7))
            for index in 0..<30 { _ = try await store.appendAuditEntry(entry("rollback", at: 8 + Double(index))) }
            let found = try await store.auditEntries(experimentID: "exp", actions: ["guardrail", "sample_ratio_mismatch"], since: Self.now)
            #expect(found.map(\.detail) == ["guardrail@5.0", "sample_ratio_mismatch@7.0"])
            #expect(try await store.auditEntries(experimentID: "exp", actions: [], since: Self.now).isEmpty)
        }
    }

    @Test("history cannot be updated or deleted, even with raw SQL", arguments: StoreKind.allCases)
    func appendOnly(kind: StoreKind) async throws {
        try await TestStores.withFreshStore(kind) { store, location in
            _ = try await store.appendWeightVersion(WeightVersion(experimentID: "rail", version: 0, configVersion: 1, arms: ["a"],
                                                                  weights: [1], reason: .manual, actor: "test", createdAt: Self.now))
            _ = try await store.appendAuditEntry(NewAuditEntry(experimentID: "rail", actor: "ana", action: "pause", reason: "r", createdAt: Self.now))
            var statements = ["UPDATE weight_versions SET actor = 'mallory'", "DELETE FROM weight_versions",
                              "UPDATE audit_log SET reason = 'nothing happened'", "DELETE FROM audit_log"]
            if kind == .sqlite {
                // REPLACE deletes the old row without firing DELETE triggers; it is refused before it starts.
                statements += ["REPLACE INTO weight_versions (experiment, version, config_version, reason, actor, created_at, body) "
                                   + "SELECT experiment, version, config_version, reason, 'mallory', created_at, body FROM weight_versions",
                               "INSERT OR REPLACE INTO audit_log (id, experiment, actor, action, reason, detail, created_at) "
                                   + "SELECT id, experiment, actor, action, 'nothing happened', detail, created_at FROM audit_log"]
            }
            for sql in statements {
                await #expect(throws: (any Error).self, "\(sql)") {
                    try await TestStores.executeRaw(sql, kind: kind, location: location)
                }
            }
            #expect(try await store.weightVersions(of: "rail").map(\.actor) == ["test"])
            #expect(try await store.auditEntries(experimentID: nil, limit: 10).map(\.reason) == ["r"])
        }
    }

    @Test("status changes and audit entries append in order and filter by experiment", arguments: StoreKind.allCases)
    func statusAndAudit(kind: StoreKind) async throws {
        try await TestStores.withFreshStore(kind) { store, _ in
            let paused = try await store.appendStatusChange(NewStatusChange(experimentID: "rail", status: .paused, actor: "ana",
                                                                           reason: "bad data", createdAt: Self.now))
            let pinned = try await store.appendStatusChange(NewStatusChange(experimentID: "rail", status: .running, pinnedArm: "control",
                                                                           actor: "bo", reason: "roll back", createdAt: Self.now))
            #expect(paused.version == 1 && pinned.version == 2)
            #expect(try await store.statusChanges(of: "rail") == [paused, pinned])
            #expect(try await store.statusChanges(of: "other").isEmpty)

            var ids: [Int] = []
            for (experiment, action) in [("rail", "pause"), (nil, "reload"), ("row", "rollback"), ("rail", "resume")] as [(String?, String)] {
                ids.append(try await store.appendAuditEntry(NewAuditEntry(experimentID: experiment, actor: "ana", action: action,
                                                                          reason: "because", detail: "x=1", createdAt: Self.now)).id)
            }
            #expect(ids == ids.sorted() && Set(ids).count == 4)
            #expect(try await store.auditEntries(experimentID: "rail", limit: 10).map(\.action) == ["resume", "pause"])
            #expect(try await store.auditEntries(experimentID: nil, limit: 3).map(\.action) == ["resume", "rollback", "reload"])
        }
    }

    @Test("many tasks appending at once get every number from 1 to N exactly once", arguments: StoreKind.allCases)
    func concurrentTasks(kind: StoreKind) async throws {
        try await TestStores.withFreshStore(kind) { store, _ in
            let versions = try await withThrowingTaskGroup(of: Int.self) { group in
                for task in 0..<40 {
                    group.addTask {
                        try await store.appendWeightVersion(WeightVersion(experimentID: "busy", version: 0, configVersion: 1, arms: ["a"],
                                                                          weights: [1], reason: .manual, actor: "task-\(task)", createdAt: Self.now)).version
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(versions.sorted() == Array(1...40))
            #expect(try await store.weightVersions(of: "busy").map(\.version) == Array(1...40))
        }
    }

    @Test("two processes appending at once never collide and leave no gaps", arguments: StoreKind.allCases)
    func concurrentProcesses(kind: StoreKind) async throws {
        try await TestStores.withFreshStore(kind) { store, location in
            // Built beside the test runner, because the test target depends on it.
            let writer = Bundle.main.executableURL!.deletingLastPathComponent().appendingPathComponent("armory-state-writer")
            let processes = try (0..<2).map { _ in
                let process = Process()
                process.executableURL = writer
                process.arguments = [location, "shared", "60"]
                let output = Pipe()
                process.standardOutput = output
                try process.run()
                return (process, output)
            }
            var given: [[Int]] = []
            for (process, output) in processes {
                let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                #expect(process.waitForExitStatus() == 0)
                given.append(text.split(whereSeparator: \.isWhitespace).compactMap { Int($0) })
            }
            #expect(given.map(\.count) == [60, 60])
            #expect(Set(given[0]).isDisjoint(with: given[1]))
            #expect((given[0] + given[1]).sorted() == Array(1...120))
            #expect(try await store.weightVersions(of: "shared").map(\.version) == Array(1...120))
        }
    }
}
