import Foundation

/// A made-up past for an experiment: hours of decisions split by the weights in force, clicks at
/// each arm's rate, and a weight update every few hours from P(best) of the data so far (with a
/// floor, as Thompson sampling keeps one). Seeded, so the same every time. For the results
/// page's tests and benchmark, which need weeks of history that no test can wait for.
public struct SyntheticHistory: Sendable {
    /// The experiment (its arms, objective `ctr`).
    public var experiment: Experiment
    /// Each arm's click-through rate, in the experiment's order.
    public var rates: [Double]
    /// The first hour.
    public var start: Date
    public var hours: Int
    /// Decisions per hour over all arms.
    public var decisionsPerHour: Int
    /// Hours between weight updates; 0 for none.
    public var updateEveryHours: Int
    public var seed: UInt64
    /// Per arm, the share of its decisions its module overran its budget on, answered by the
    /// fallback arm (empty: none).
    public var timeoutRates: [Double] = []

    public init(experiment: Experiment, rates: [Double], start: Date, hours: Int, decisionsPerHour: Int, updateEveryHours: Int, seed: UInt64) {
        precondition(rates.count == experiment.arms.count, "one rate per arm")
        self.experiment = experiment
        self.rates = rates
        self.start = start
        self.hours = hours
        self.decisionsPerHour = decisionsPerHour
        self.updateEveryHours = updateEveryHours
        self.seed = seed
    }

    /// The weight versions (the initial one at `start`, then the updates) and every event.
    public func generate() -> (versions: [WeightVersion], events: [Event]) {
        var random = Xoshiro256StarStar(seed: seed)
        let arms = experiment.arms.map(\.name)
        var versions = [WeightVersion.initial(for: experiment, at: start)]
        var trials = [Int](repeating: 0, count: arms.count)
        var clicks = [Int](repeating: 0, count: arms.count)
        var events: [Event] = []
        events.reserveCapacity(hours * decisionsPerHour * 2)
        for hour in 0..<hours {
            let hourStart = start.addingTimeInterval(Double(hour) * 3_600)
            if updateEveryHours > 0, hour > 0, hour % updateEveryHours == 0 {
                versions.append(update(after: versions[versions.count - 1], trials: trials, clicks: clicks, at: hourStart))
            }
            let current = versions[versions.count - 1]
            for index in 0..<decisionsPerHour {
                let arm = pick(current.weights, &random)
                let time = hourStart.addingTimeInterval(3_600 * (Double(index) + random.nextUniform()) / Double(decisionsPerHour))
                let decision = "\(experiment.id)-h\(hour)-\(index)"
                let timedOut = arm < timeoutRates.count && random.nextUniform() < timeoutRates[arm]
                let server = timedOut ? arms.firstIndex(of: experiment.fallback) ?? arm : arm
                events.append(Event(eventID: decision, type: .impression, time: time, decisionID: decision, experiment: experiment.id,
                                    arm: arms[arm], configVersion: 1, weightVersion: current.version, userID: "\(decision)-u",
                                    items: [1, 2, 3], servedBy: arms[server], moduleFailure: timedOut ? .timeout : nil))
                trials[arm] += 1
                if random.nextUniform() < rates[server] {
                    clicks[arm] += 1
                    events.append(Event(eventID: "\(decision)-c", type: .click, time: time.addingTimeInterval(4), decisionID: decision,
                                        experiment: experiment.id, arm: arms[arm], configVersion: 1, weightVersion: current.version,
                                        decisionTime: time, userID: "\(decision)-u", movieID: 1, position: 0))
                }
            }
        }
        return (versions, events)
    }

    private func update(after previous: WeightVersion, trials: [Int], clicks: [Int], at time: Date) -> WeightVersion {
        let posteriors = trials.indices.map { ArmPosterior.rate(successes: clicks[$0], trials: trials[$0]) }
        let best = BestArmAnalysis.exact(posteriors).probabilityBest
        let floor = experiment.bandit?.minWeight ?? 0.01
        let raised = best.map { max($0, floor) }
        let weights = raised.map { $0 / raised.reduce(0, +) }
        return WeightVersion(experimentID: experiment.id, version: previous.version + 1, configVersion: 1, arms: previous.arms,
                             probabilityBest: best, weights: weights, reason: .scheduled, actor: "worker",
                             note: "P(best) from \(trials.reduce(0, +)) decisions", createdAt: time)
    }

    private func pick(_ weights: [Double], _ random: inout Xoshiro256StarStar) -> Int {
        var draw = random.nextUniform() * weights.reduce(0, +)
        for (index, weight) in weights.enumerated() {
            draw -= weight
            if draw < 0 { return index }
        }
        return weights.count - 1
    }
}
