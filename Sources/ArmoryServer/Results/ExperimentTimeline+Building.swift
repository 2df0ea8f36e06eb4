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
        overrides = Self.overrides(live, configs: configs, statusChanges: statusChanges, since: since, until: until)
    }

    /// The stretches from `since` to `until` when the experiment was paused or pinned: at each
    /// moment something changed, the file's status then (the config version in force, and since
    /// when the file has said so) and the newest status change then, read as
    /// ``LiveExperiment/serving(_:fileStatusSince:statusChange:)`` reads them now.
    private static func overrides(
        _ live: LiveExperiment, configs: [ConfigVersion], statusChanges: [StatusChange], since: Date, until: Date
    ) -> [Override] {
        let changes = (statusChanges.map(\.createdAt) + configs.map(\.createdAt)).filter { $0 > since && $0 <= until }
        var overrides: [Override] = []
        for moment in Set([since] + changes).sorted() {
            let inForce = configs.filter { $0.createdAt <= moment }
            let file = inForce.last?.experiment ?? live.experiment
            let fileSince = inForce.reversed().prefix { $0.experiment.status == file.status }.last?.createdAt ?? live.fileStatusSince
            let serving = LiveExperiment.serving(file, fileStatusSince: fileSince, statusChange: statusChanges.last { $0.createdAt <= moment })
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
            let estimates = ArmEstimates(experiment, observations: experiment.observations(from: cumulative))
            let arms = estimates.arms.map { estimate in
                let weight = version.flatMap { version in
                    version.arms.firstIndex(of: estimate.observation.arm).flatMap { version.weights.indices.contains($0) ? version.weights[$0] : nil }
                } ?? 0
                return ArmPoint(
                    arm: estimate.observation.arm, trials: estimate.observation.trials, successes: estimate.successes, rate: estimate.rate,
                    posteriorMean: estimate.posteriorMean, intervalLow: estimate.interval?.lowerBound, intervalHigh: estimate.interval?.upperBound,
                    probabilityBest: estimate.probabilityBest, weight: weight)
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
        // The config version that began the phase is its start, not a change in it.
        let phaseConfig = versions.last { $0.reason == .initial }?.configVersion
        markers += configs.filter { window($0.createdAt) && $0.version != phaseConfig }.map { config in
            Marker(kind: "config", at: config.createdAt, actor: config.actor,
                   summary: "config v\(config.version) from \(config.sourceFile)", weightVersion: nil)
        }
        markers += audit.filter { window($0.createdAt) }.map { entry in
            // The weight version an entry made, as its detail names it ("… new_version=13").
            let made = entry.detail.range(of: #"new_version=\d+"#, options: .regularExpression)
                .flatMap { Int(entry.detail[$0].dropFirst("new_version=".count)) }
            let detail = entry.detail.hasPrefix("{") || entry.detail.isEmpty ? "" : " [\(entry.detail)]"
            return Marker(kind: entry.action, at: entry.createdAt, actor: entry.actor,
                          summary: "\(entry.action) by \(entry.actor): \(entry.reason)\(detail)", weightVersion: made)
        }
        return markers.sorted { ($0.at, $0.kind) < ($1.at, $1.kind) }
    }
}
