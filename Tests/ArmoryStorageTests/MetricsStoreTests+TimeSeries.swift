import ArmoryCore
import ArmoryStorage
import Foundation
import Testing

extension UsesClickHouse.MetricsStoreTests {
    @Test("the time series adds up to the totals, bucket by bucket, for buckets of hours (hourly totals) and of minutes (events)",
          arguments: MetricsKind.allCases)
    func timeSeries(kind: MetricsKind) async throws {
        try await TestMetrics.withFreshStore(kind) { store in
            let traffic = TestMetrics.traffic(experiment: "rail", arms: ["a", "b"], decisions: 800, seed: 4, start: Self.start)
            try await store.insert(traffic.events)
            // A phase starting 10 minutes after the traffic: its first hour is partial.
            let phase = ExperimentPhase(experiment: "rail", since: Self.start.addingTimeInterval(600))
            let clicked = Set(traffic.events.filter { $0.type == .click }.map(\.decisionID))
            let shown = traffic.events.filter { $0.type == .impression && $0.time >= phase.since }
            let totals = try await store.aggregates([phase])
            for width in [3_600, 7_200, 900] {
                let points = try await store.timeSeries(phase, bucketSeconds: width, until: Date())
                #expect(points.map(\.start) == points.map(\.start).sorted())
                for arm in ["a", "b"] {
                    let total = totals.first { $0.arm == arm }
                    #expect(points.filter { $0.arm == arm }.map(\.totals.trials).reduce(0, +) == total?.trials, "\(width) \(arm)")
                    #expect(points.filter { $0.arm == arm }.map(\.totals.clicked).reduce(0, +) == total?.clicked, "\(width) \(arm)")
                }
                for point in points {
                    #expect(Int(point.start.timeIntervalSince1970) % width == 0)
                    let inBucket = shown.filter {
                        $0.arm == point.arm && $0.time >= point.start && $0.time < point.start.addingTimeInterval(Double(width))
                    }
                    #expect(point.totals.trials == inBucket.count, "\(width) \(point.start) \(point.arm)")
                    #expect(point.totals.clicked == inBucket.filter { clicked.contains($0.decisionID) }.count)
                }
            }
            // Up to a moment 70 minutes in: the hour holding it is counted exactly, to that moment.
            let until = Self.start.addingTimeInterval(4_200)
            let early = try await store.timeSeries(phase, bucketSeconds: 3_600, until: until)
            for arm in ["a", "b"] {
                let expected = shown.filter { $0.arm == arm && $0.time <= until }.count
                #expect(early.filter { $0.arm == arm }.map(\.totals.trials).reduce(0, +) == expected, "\(arm) until \(until)")
            }
        }
    }
}
