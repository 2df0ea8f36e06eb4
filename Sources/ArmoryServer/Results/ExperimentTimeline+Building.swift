import ArmoryCore
import ArmoryStorage
import Foundation

extension ExperimentTimeline {
    /// The timeline of `live`'s phase up to `until` from its `series` (read with `bucketSeconds`),
    /// its weight versions, config versions and audit entries.
    public init(
        live: LiveExperiment, series: [TimeSeriesPoint], bucketSeconds: Int, versions: [WeightVersion], configs: [ConfigVersion],
        audit: [AuditEntry], statusChanges: [StatusChange] = [], until: Date
    ) {
        let experiment = live.experiment
        self.experiment = experiment.id
        objective = experiment.objective
        since = live.phaseStart
        self.until = until
        self.bucketSeconds = bucketSeconds
        arms = experiment.arms.map(\.name)
        points = Self.points(experiment, series: series, width: bucketSeconds, versions: versions, since: since, until: until)
        markers = Self.markers(live, versions: versions, configs: configs, audit: audit, since: since, until: until)
        overrides = Self.overrides(live, statusChanges: statusChanges, since: since, until: until)
    }

    /// The stretches from `since` to `until` when the experiment was paused or pinned, by its
    /// file's status and its status changes as ``LiveExperiment/serving(_:fileStatusSince:statusChange:)`` reads them.
    private static func overrides(_ live: LiveExperiment, statusChanges: [StatusChange], since: Date, until: Date) -> [Override] {
        let moments = [since] + statusChanges.map(\.createdAt).filter { $0 > since && $0 <= until } + [live.fileStatusSince].filter { $0 > since && $0 <= until }
        var overrides: [Override] = []
        for moment in Set(moments).sorted() {
            let change = statusChanges.last { $0.createdAt <= moment }
            let serving = LiveExperiment.serving(live.experiment, fileStatusSince: live.fileStatusSince, statusChange: change)
            let (status, arm): (String?, String?) = switch serving {
            case .weighted: (nil, nil)
            case .paused: ("paused", nil)
            case .pinned(let arm): ("pinned", arm)
            }
            if let last = overrides.last, last.to == nil {
                if last.status == status && last.arm == arm { continue }
                overrides[overrides.count - 1].to = moment
            }
            if let status { overrides.append(Override(status: status, arm: arm, from: moment, to: nil)) }
        }
        return overrides
    }

    private static func points(
        _ experiment: Experiment, series: [TimeSeriesPoint], width: Int, versions: [WeightVersion], since: Date, until: Date
    ) -> [Point] {
        let prior = experiment.bandit?.prior ?? .uniform
        let first = Int((since.timeIntervalSince1970 / Double(width)).rounded(.down)) * width
        let last = Int((until.timeIntervalSince1970 / Double(width)).rounded(.down)) * width
        var cumulative: [ArmAggregate] = []
        var next = series.startIndex
        var points: [Point] = []
        for start in stride(from: first, through: last, by: width) {
            while next < series.endIndex, Int(series[next].start.timeIntervalSince1970) <= start {
                cumulative = ArmAggregate.pooled(cumulative + [series[next].totals])
                next += 1
            }
            let end = min(Date(timeIntervalSince1970: Double(start + width)), until)
            let version = versions.last { $0.createdAt <= end } ?? versions.first
            let observations = experiment.observations(from: cumulative)
            let posteriors = observations.map { $0.posterior(for: experiment.objective, prior: prior) }
            let complete = posteriors.compactMap { $0 }
            let analysis = complete.count == posteriors.count && complete.count >= 2 ? BestArmAnalysis.exact(complete) : nil
            let arms = observations.indices.map { index in
                let observation = observations[index]
                let interval = posteriors[index]?.credibleInterval(level: 0.95)
                let rate: Double? = observation.trials == 0 ? nil : experiment.objective.isRate
                    ? Double(observation.successes) / Double(observation.trials) : observation.valueSum / Double(observation.trials)
                let weight = version.flatMap { version in version.arms.firstIndex(of: observation.arm).map { version.weights[$0] } } ?? 0
                return ArmPoint(
                    arm: observation.arm, trials: observation.trials, successes: experiment.objective.isRate ? observation.successes : 0,
                    rate: finite(rate), intervalLow: finite(interval?.lowerBound), intervalHigh: finite(interval?.upperBound),
                    probabilityBest: finite(analysis?.probabilityBest[index]), weight: weight)
            }
            points.append(Point(start: Date(timeIntervalSince1970: Double(start)), end: end, weightVersion: version?.version ?? 0, arms: arms))
        }
        return points
    }

    private static func markers(
        _ live: LiveExperiment, versions: [WeightVersion], configs: [ConfigVersion], audit: [AuditEntry], since: Date, until: Date
    ) -> [Marker] {
        let window = { (time: Date) in time > since && time <= until }
        var markers: [Marker] = versions.filter { window($0.createdAt) && ($0.reason == .scheduled || $0.reason == .manual) }.map { version in
            // A scheduled update says why in its note; its weights are in the weight history.
            let weights = version.reason == .scheduled ? ""
                : ": " + zip(version.arms, version.weights).map { "\($0) \(String(format: "%.3f", $1))" }.joined(separator: ", ")
            let why = version.note.isEmpty ? "" : " (\(version.note))"
            return Marker(kind: version.reason.rawValue, at: version.createdAt, actor: version.actor,
                          summary: "weights v\(version.version), \(version.reason.rawValue)\(why)\(weights)", weightVersion: version.version)
        }
        markers += configs.filter { window($0.createdAt) }.map { config in
            Marker(kind: "config", at: config.createdAt, actor: config.actor,
                   summary: "config v\(config.version) from \(config.sourceFile)", weightVersion: nil)
        }
        markers += audit.filter { window($0.createdAt) }.map { entry in
            // The weight version an entry made: stored with it, for the same reason.
            let made = ["rollback", "restore", "guardrail"].contains(entry.action)
                ? versions.first { abs($0.createdAt.timeIntervalSince(entry.createdAt)) < 5 && $0.reason.rawValue == entry.action }
                : nil
            let detail = entry.detail.hasPrefix("{") || entry.detail.isEmpty ? "" : " [\(entry.detail)]"
            return Marker(kind: entry.action, at: entry.createdAt, actor: entry.actor,
                          summary: "\(entry.action) by \(entry.actor): \(entry.reason)\(detail)", weightVersion: made?.version)
        }
        return markers.sorted { ($0.at, $0.kind) < ($1.at, $1.kind) }
    }
}
