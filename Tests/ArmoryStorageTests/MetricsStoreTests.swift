import ArmoryCore
import ArmoryStorage
import Foundation
import Testing

/// One suite for both metrics stores. Serialized: the ClickHouse fault test stops the server.
extension UsesClickHouse {
    @Suite("Metrics: events in, per-arm totals out, on SQLite, ClickHouse and a ClickHouse cluster")
    struct MetricsStoreTests {
        static let start = Date(timeIntervalSince1970: 1_795_600_000)

        static func close(_ a: ArmAggregate, _ b: ArmAggregate) -> Bool {
            a.experiment == b.experiment && a.arm == b.arm && a.trials == b.trials && a.clicked == b.clicked && a.converted == b.converted
                && a.timeouts == b.timeouts && a.errors == b.errors && abs(a.engagementSum - b.engagementSum) < 1e-6 && abs(a.engagementSumOfSquares - b.engagementSumOfSquares) < 1e-3
        }

        @Test("aggregates equal the totals computed from the events sent, for every experiment in one query; repeats count once",
              arguments: MetricsKind.allCases)
        func aggregates(kind: MetricsKind) async throws {
            try await TestMetrics.withFreshStore(kind) { store in
                let rail = TestMetrics.traffic(experiment: "rail", arms: ["control", "personal"], decisions: 3_000, seed: 1, start: Self.start)
                let row = TestMetrics.traffic(experiment: "row", arms: ["a", "b", "c"], decisions: 2_000, seed: 2, start: Self.start)
                try await store.insert(rail.events)
                try await store.insert(row.events)
                // A retried batch and a replayed slice: the same events again.
                try await store.insert(Array(rail.events.prefix(2_500)))
                try await store.insert(Array(row.events.suffix(700)))
                let totals = try await store.aggregates([ExperimentPhase(experiment: "rail", since: Self.start),
                                                         ExperimentPhase(experiment: "row", since: Self.start)])
                let expected = (Array(rail.expected.values) + Array(row.expected.values)).sorted { ($0.experiment, $0.arm) < ($1.experiment, $1.arm) }
                #expect(totals.count == expected.count)
                for (got, want) in zip(totals, expected) {
                    #expect(Self.close(got, want), "\(got) ≠ \(want)")
                }
            }
        }

        @Test("period totals: each decision counts under the weight version it was made with, a late outcome without one included",
              arguments: MetricsKind.allCases)
        func periodAggregates(kind: MetricsKind) async throws {
            try await TestMetrics.withFreshStore(kind) { store in
                // Version 1: 30 decisions per arm, 3 clicked in a; version 2: 20 in a, 40 in b, 8 clicked in b, 2 errors.
                var events: [Event] = []
                func decide(_ id: String, arm: String, version: Int, at offset: Double, clicked: Bool = false, failure: ModuleFailure? = nil) {
                    let time = Self.start.addingTimeInterval(offset)
                    events.append(Event(eventID: id, type: .impression, time: time, decisionID: id, experiment: "moving", arm: arm,
                                        configVersion: 1, weightVersion: version, userID: "u-\(id)", moduleFailure: failure))
                    guard clicked else { return }
                    events.append(Event(eventID: "\(id)-c", type: .click, time: time.addingTimeInterval(5), decisionID: id, experiment: "moving",
                                        arm: arm, configVersion: 1, weightVersion: version, decisionTime: time, userID: "u-\(id)", movieID: 1))
                }
                for index in 0..<30 {
                    decide("v1-a-\(index)", arm: "a", version: 1, at: Double(index), clicked: index < 3)
                    decide("v1-b-\(index)", arm: "b", version: 1, at: Double(index))
                }
                for index in 0..<40 {
                    if index < 20 { decide("v2-a-\(index)", arm: "a", version: 2, at: 7_200 + Double(index)) }
                    decide("v2-b-\(index)", arm: "b", version: 2, at: 7_200 + Double(index), clicked: index < 7, failure: index < 2 ? .error : nil)
                }
                try await store.insert(events)
                // A late click that carries no weight version (a client of an older Armory): it counts with its decision.
                try await store.insert([Event(eventID: "late", type: .click, time: Self.start.addingTimeInterval(90_000), decisionID: "v2-b-39",
                                              experiment: "moving", arm: "b", decisionTime: Self.start.addingTimeInterval(7_239), userID: "u", movieID: 1)])
                let rows = try await store.periodAggregates([ExperimentPhase(experiment: "moving", since: Self.start)])
                let summary = rows.map { "\($0.arm) v\($0.weightVersion): \($0.trials)/\($0.clicked)/\($0.errors)" }
                #expect(summary == ["a v1: 30/3/0", "a v2: 20/0/0", "b v1: 30/0/0", "b v2: 40/8/2"])
                #expect(try await store.aggregates([ExperimentPhase(experiment: "moving", since: Self.start)]).map(\.trials) == [50, 70])
            }
        }

        @Test("first assignments: each user once, in the arm and weight version of their first decision in the phase",
              arguments: MetricsKind.allCases)
        func firstAssignments(kind: MetricsKind) async throws {
            try await TestMetrics.withFreshStore(kind) { store in
                func impression(_ id: String, user: String, arm: String, version: Int, at offset: Double, experiment: String = "split") -> Event {
                    Event(eventID: id, type: .impression, time: Self.start.addingTimeInterval(offset), decisionID: id, experiment: experiment,
                          arm: arm, configVersion: 1, weightVersion: version, userID: user)
                }
                try await store.insert([
                    impression("d1", user: "ana", arm: "a", version: 1, at: 10), impression("d2", user: "ana", arm: "b", version: 2, at: 7_200),
                    impression("d3", user: "bo", arm: "b", version: 2, at: 7_300),
                    impression("d4", user: "cy", arm: "b", version: 1, at: 20), impression("d5", user: "cy", arm: "b", version: 1, at: 30),
                    impression("d6", user: "cy", arm: "b", version: 1, at: 40),
                    impression("d7", user: "dee", arm: "a", version: 1, at: -50),   // before the phase: counts from d8
                    impression("d8", user: "dee", arm: "b", version: 2, at: 7_400),
                    impression("d9", user: "ana", arm: "a", version: 1, at: 10, experiment: "other"),
                ])
                let rows = try await store.firstAssignments([ExperimentPhase(experiment: "split", since: Self.start)])
                #expect(rows.map { "\($0.arm) v\($0.weightVersion): \($0.units)" } == ["a v1: 1", "b v1: 1", "b v2: 2"])
                #expect(rows.allSatisfy { $0.experiment == "split" })
            }
        }

        @Test("late outcomes and replays for decisions of an hour already totalled count, and count once",
              arguments: MetricsKind.allCases)
        func lateEvents(kind: MetricsKind) async throws {
            try await TestMetrics.withFreshStore(kind) { store in
                let traffic = TestMetrics.traffic(experiment: "rail", arms: ["a", "b"], decisions: 1_000, seed: 5, start: Self.start)
                try await store.insert(traffic.events)
                let phase = [ExperimentPhase(experiment: "rail", since: Self.start)]
                let first = try await store.aggregates(phase)
                #expect(first.map(\.trials) == ["a", "b"].map { traffic.expected[$0]?.trials ?? -1 })
                #expect(first.map(\.timeouts) == ["a", "b"].map { traffic.expected[$0]?.timeouts ?? -1 })
                #expect(first.map(\.errors) == ["a", "b"].map { traffic.expected[$0]?.errors ?? -1 })
                // A day later: a click for every decision that had none, and the whole first batch replayed.
                let impressions = traffic.events.filter { $0.type == .impression }
                let clicked = Set(traffic.events.filter { $0.type == .click }.map(\.decisionID))
                let late = impressions.filter { !clicked.contains($0.decisionID) }.map {
                    Event(eventID: "\($0.decisionID)-late", type: .click, time: Self.start.addingTimeInterval(86_400), decisionID: $0.decisionID,
                          experiment: "rail", arm: $0.arm, decisionTime: $0.time, userID: "u", movieID: 1)
                }
                try await store.insert(late)
                try await store.insert(traffic.events)
                let second = try await store.aggregates(phase)
                #expect(second.map(\.trials) == first.map(\.trials))
                #expect(second.map(\.clicked) == second.map(\.trials), "every decision now has a click")
                #expect(second.map(\.converted) == first.map(\.converted))
                #expect(second.map(\.timeouts) == first.map(\.timeouts) && second.map(\.errors) == first.map(\.errors))
                // Asked again at once, the answer is the same.
                #expect(try await store.aggregates(phase) == second)
            }
        }

        @Test("an event id is unique within its decision: the same id on two decisions counts for both, a retry once",
              arguments: MetricsKind.allCases)
        func eventIDRule(kind: MetricsKind) async throws {
            try await TestMetrics.withFreshStore(kind) { store in
                let time = Self.start.addingTimeInterval(60)
                func impression(_ decision: String) -> Event {
                    Event(eventID: decision, type: .impression, time: time, decisionID: decision, experiment: "watch", arm: "a",
                          configVersion: 1, weightVersion: 1, userID: "u-\(decision)", items: [1, 2])
                }
                func engagement(_ decision: String, _ value: Double) -> Event {
                    Event(eventID: "e-1", type: .engagement, time: time, decisionID: decision, experiment: "watch", arm: "a",
                          configVersion: 1, weightVersion: 1, decisionTime: time, userID: "u-\(decision)", value: value)
                }
                try await store.insert([impression("d-a"), impression("d-b"), engagement("d-a", 3), engagement("d-b", 5)])
                try await store.insert([engagement("d-a", 3), engagement("d-b", 5)])  // a client's retry
                let totals = try await store.aggregates([ExperimentPhase(experiment: "watch", since: Self.start)])
                #expect(totals.count == 1 && totals.first?.trials == 2)
                #expect(totals.first?.engagementSum == 8, "3 for d-a and 5 for d-b, each once")
                #expect(totals.first?.engagementSumOfSquares == 34)
            }
        }

        @Test("a click whose impression was never stored (its process died first) counts its decision, as a trial and a success",
              arguments: MetricsKind.allCases)
        func clickWithoutImpression(kind: MetricsKind) async throws {
            try await TestMetrics.withFreshStore(kind) { store in
                let time = Self.start.addingTimeInterval(60)
                let lost = (0..<30).map { index in
                    Event(eventID: "c-\(index)", type: .click, time: time.addingTimeInterval(5), decisionID: "lost-\(index)",
                          experiment: "watch", arm: index % 3 == 0 ? "a" : "b", configVersion: 1, weightVersion: 1,
                          decisionTime: time, userID: "u\(index)", movieID: 1, position: 0)
                }
                let shown = Event(eventID: "kept", type: .impression, time: time, decisionID: "kept", experiment: "watch", arm: "a",
                                  configVersion: 1, weightVersion: 1, userID: "u-kept", items: [1])
                try await store.insert(lost + [shown])
                let totals = try await store.aggregates([ExperimentPhase(experiment: "watch", since: Self.start)])
                #expect(totals.map(\.arm) == ["a", "b"])
                #expect(totals.map(\.trials) == [11, 20] && totals.map(\.clicked) == [10, 20])
                let series = try await store.timeSeries(ExperimentPhase(experiment: "watch", since: Self.start), bucketSeconds: 3_600, until: Date())
                #expect(series.map(\.totals.trials).reduce(0, +) == 31 && series.map(\.totals.clicked).reduce(0, +) == 30)
            }
        }

        @Test("events before the phase start do not count, and other experiments are not read", arguments: MetricsKind.allCases)
        func phases(kind: MetricsKind) async throws {
            try await TestMetrics.withFreshStore(kind) { store in
                let traffic = TestMetrics.traffic(experiment: "rail", arms: ["a", "b"], decisions: 500, seed: 3, start: Self.start)
                try await store.insert(traffic.events)
                let later = Self.start.addingTimeInterval(3_600)
                let totals = try await store.aggregates([ExperimentPhase(experiment: "rail", since: later)])
                let shownLater = Set(traffic.events.filter { $0.type == .impression && $0.time >= later }.map(\.decisionID))
                #expect(totals.map(\.trials).reduce(0, +) == shownLater.count)
                #expect(try await store.aggregates([ExperimentPhase(experiment: "other", since: Self.start)]).isEmpty)
            }
        }

        @Test("decisions split by the model version their impression records add up to the arm's totals", arguments: MetricsKind.allCases)
        func byModel(kind: MetricsKind) async throws {
            try await TestMetrics.withFreshStore(kind) { store in
                var traffic = TestMetrics.traffic(experiment: "rail", arms: ["a", "b"], decisions: 600, seed: 5, start: Self.start)
                // Arm b's impressions were made by model version 1 or 2, alternately; arm a's by none.
                var flip = false
                for index in traffic.events.indices where traffic.events[index].type == .impression && traffic.events[index].arm == "b" {
                    flip.toggle()
                    traffic.events[index].model = flip ? "m@1" : "m@2"
                }
                try await store.insert(traffic.events)
                let split = try await store.modelAggregates(experiment: "rail", since: Self.start)
                let impressions = traffic.events.filter { $0.type == .impression }
                let clicked = Set(traffic.events.filter { $0.type == .click }.map(\.decisionID))
                for (arm, model) in [("a", ""), ("b", "m@1"), ("b", "m@2")] {
                    let decisions = impressions.filter { $0.arm == arm && ($0.model ?? "") == model }
                    let row = split.first { $0.arm == arm && $0.model == model }
                    #expect(row?.trials == decisions.count, "\(arm) \(model)")
                    #expect(row?.clicked == decisions.filter { clicked.contains($0.decisionID) }.count, "\(arm) \(model)")
                }
                #expect(split.count == 3)
            }
        }

        @Test("every column of an inserted event reads back as it was sent, but an impression's event id, which is its decision id (RowBinary: lengths past 127 bytes, non-ASCII, extremes; gzipped and not)",
              arguments: [false, true])
        func insertRoundTrip(compressed: Bool) async throws {
            let client = try await TestMetrics.freshClickHouse(compressInserts: compressed)
            #expect(client.compressesInserts == compressed)
            let store = ClickHouseMetricsStore(client: client)
            try await store.prepare()
            let texts = ["", "a", "é漢字🎬\n\"quoted\"\\", String(repeating: "x", count: 127), String(repeating: "y", count: 128),
                         String(repeating: "z", count: 20_000)]
            let events = texts.enumerated().map { index, text in
                Event(eventID: "e\(index)-" + text, type: EventType.allCases[index % EventType.allCases.count],
                      time: Date(timeIntervalSince1970: 1_795_600_000 + Double(index) + 0.75), decisionID: "d\(index)" + text,
                      experiment: "x" + text, arm: "arm-" + text, configVersion: index, weightVersion: index * 1_000_000,
                      decisionTime: Date(timeIntervalSince1970: 1_795_599_000 + Double(index)), userID: "u" + text,
                      movieID: index == 5 ? Int.max : index * 300, value: index == 4 ? -2.5e300 : Double(index) / 3,
                      position: index == 3 ? -1 : index, items: Array(repeating: index == 2 ? Int.min : 7, count: index * 40),
                      servedBy: index == 1 ? nil : "served-" + text, moduleFailure: [nil, .timeout, .error][index % 3])
            }
            try await store.insert(events)
            struct Row: Decodable, Equatable {
                var time, decision_time, config_version, weight_version, position: Int
                var event_id, decision_id, experiment, arm, user_id, type: String
                var movie_id: Int
                var value: Double
                var items: [Int]
                var served_by, failure: String
            }
            let text = try await client.execute("""
                SELECT toUInt32(time) AS time, event_id, decision_id, toUInt32(decision_time) AS decision_time, experiment, arm,
                       config_version, weight_version, user_id, movie_id, type, value, position, items, served_by, failure
                FROM events ORDER BY time FORMAT JSONEachRow
                """, settings: ["output_format_json_quote_64bit_integers": "0"])
            let rows = try text.split(separator: "\n").map { try JSONDecoder().decode(Row.self, from: Data($0.utf8)) }
            let expected = events.map {
                Row(time: Int($0.time.timeIntervalSince1970), decision_time: Int($0.decisionTime.timeIntervalSince1970),
                    config_version: $0.configVersion, weight_version: $0.weightVersion, position: $0.position,
                    event_id: $0.type == .impression ? "" : $0.eventID,
                    decision_id: $0.decisionID, experiment: $0.experiment, arm: $0.arm, user_id: $0.userID, type: $0.type.rawValue,
                    movie_id: $0.movieID, value: $0.value, items: $0.items, served_by: $0.servedBy ?? "", failure: $0.moduleFailure?.rawValue ?? "")
            }
            #expect(rows.count == events.count)
            for (row, sent) in zip(rows, expected) { #expect(row == sent) }

            // A batch of several chunks arrives whole: every event, in every chunk, once.
            let count = RowBinary.Chunks.eventsPerChunk * 2 + 500
            try await client.execute("TRUNCATE TABLE events")
            try await store.insert((0..<count).map { index in
                Event(eventID: "many-\(index)", type: .click, time: Date(), decisionID: "d-\(index)", experiment: "many", arm: "a",
                      userID: "u", movieID: index, items: [index, -index])
            })
            let totals = try await client.execute("SELECT count(), uniqExact(event_id), sum(movie_id), sum(arraySum(items)) FROM events FORMAT TSV")
            #expect(totals == "\(count)\t\(count)\t\(count * (count - 1) / 2)\t0\n")
            await TestMetrics.drop(client)
        }

        @Test("tables made before impressions recorded their module failures get the columns on prepare, and count them from then on")
        func addsFailureColumns() async throws {
            let client = try await TestMetrics.freshClickHouse()
            // The tables as the previous Armory created them.
            try await client.execute("""
                CREATE TABLE events (
                  time DateTime, event_id String, decision_id String, decision_time DateTime, experiment String, arm String,
                  config_version UInt32, weight_version UInt32, user_id String, movie_id Int64,
                  type String, value Float64, position Int32, items Array(Int64)
                ) ENGINE = ReplacingMergeTree PARTITION BY toYYYYMM(decision_time) ORDER BY (experiment, arm, decision_id, type, event_id)
                """)
            try await client.execute("""
                CREATE TABLE arm_hours (
                  experiment String, hour DateTime, arm String, trials UInt64, clicked UInt64, converted UInt64,
                  engagement_sum Float64, engagement_squares Float64, computed_at DateTime, version UInt64
                ) ENGINE = ReplacingMergeTree(version) ORDER BY (experiment, hour, arm)
                """)
            try await client.execute("INSERT INTO events (time, decision_id, decision_time, experiment, arm, type) VALUES (1795600000, 'old', 1795600000, 'rail', 'a', 'impression')")
            let store = ClickHouseMetricsStore(client: client)
            try await store.prepare()
            try await store.prepare()
            let traffic = TestMetrics.traffic(experiment: "rail", arms: ["a", "b"], decisions: 500, seed: 14, start: Self.start)
            try await store.insert(traffic.events)
            var expected = traffic.expected
            expected["a"]?.trials += 1
            let totals = try await store.aggregates([ExperimentPhase(experiment: "rail", since: Self.start)])
            #expect(totals.count == 2)
            for total in totals { #expect(Self.close(total, expected[total.arm]!), "\(total)") }
            await TestMetrics.drop(client)
        }

        @Test("attack strings pass through ClickHouse SQL literals unchanged and never end them")
        func attackCorpus() async throws {
            let client = try await TestMetrics.freshClickHouse()
            let store = ClickHouseMetricsStore(client: client)
            try await store.prepare()
            let corpus = [
                "'", "''", "\\", "\\'", "'\\", "'; DROP TABLE events; --", "x' OR '1'='1", "\0", "a\0b", "\u{7}\u{8}\t\n\r\u{B}\u{C}\u{1B}\u{7F}",
                "\\x27", "\\u0027", "\\0", "\\N", "%27", "`id`", "\"quoted\"", "$$", "{name:String}", "/* comment */", "-- line", "é漢字🎬",
                "\u{202E}reversed", "\u{FEFF}bom", "\u{2028}\u{2029}", "a\\\\'b", String(repeating: "'", count: 100), "\\\\\\'",
            ]
            for text in corpus {
                let echoed = try await client.execute("SELECT \(ClickHouseSQL.literal(text)) AS v FORMAT JSONEachRow")
                let value = try JSONDecoder().decode([String: String].self, from: Data(echoed.utf8))["v"]
                #expect(value == text, "round trip of \(text.debugDescription)")
                // As an experiment id in the aggregate query: no error, no rows, and the table still there.
                #expect(try await store.aggregates([ExperimentPhase(experiment: text, since: Self.start)]).isEmpty)
            }
            #expect(try await client.execute("EXISTS TABLE events").trimmingCharacters(in: .whitespacesAndNewlines) == "1")
            await TestMetrics.drop(client)
        }
    }
}
