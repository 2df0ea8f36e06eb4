import ArmoryKit

/// An experiment as declared in `experiments/<id>.yaml`: arms competing for traffic under a
/// policy, judged by one objective.
public struct Experiment: Sendable, Hashable, Codable {
    /// `[a-z0-9-]{1,64}`, unique across files.
    public var id: String
    /// What the experiment is about, for people.
    public var description: String
    /// The attribute hashed to assign arms, e.g. `user_id`.
    public var unit: String
    /// What "better" means.
    public var objective: Objective
    /// How traffic is split.
    public var policy: PolicyKind
    /// The share of units in the experiment, in [0, 1]; the rest get the fallback arm.
    public var coverage: Double
    /// The arm served outside coverage, while paused or rolled back, and when a module fails.
    public var fallback: String
    /// The hashing seed; defaults to `id`. Changing it reshuffles every unit.
    public var seed: String
    /// Whether the experiment is serving its arms.
    public var status: ExperimentStatus
    /// How long an arm's module may take for one request before the fallback arm answers.
    public var timeBudget: Duration
    /// The arms, in file order; weights sum to 1.
    public var arms: [Arm]
    /// Thompson-sampling settings; present exactly when `policy` is `.thompson`.
    public var bandit: BanditSettings?
    /// Metrics the arms must not harm, each checked every update cycle.
    public var guardrails: [Guardrail]
    /// The guardrails' shared error budget and what a sample-ratio mismatch does.
    public var safety: SafetySettings

    /// Creates an experiment.
    public init(
        id: String,
        description: String = "",
        unit: String = "user_id",
        objective: Objective,
        policy: PolicyKind = .fixed,
        coverage: Double = 1,
        fallback: String,
        seed: String? = nil,
        status: ExperimentStatus = .running,
        timeBudget: Duration = Experiment.defaultTimeBudget,
        arms: [Arm],
        bandit: BanditSettings? = nil,
        guardrails: [Guardrail] = [],
        safety: SafetySettings = SafetySettings()
    ) {
        self.id = id
        self.description = description
        self.unit = unit
        self.objective = objective
        self.policy = policy
        self.coverage = coverage
        self.fallback = fallback
        self.seed = seed ?? id
        self.status = status
        self.timeBudget = timeBudget
        self.arms = arms
        self.bandit = bandit
        self.guardrails = guardrails
        self.safety = safety
    }

    /// The time budget of an experiment that does not set `time_budget`.
    public static let defaultTimeBudget: Duration = .milliseconds(50)

    /// Whether `text` is a valid experiment id, `[a-z0-9-]{1,64}`; algorithm names follow the
    /// same rule.
    public static func isValidID(_ text: String) -> Bool {
        DecodingState.isName(text, extra: "-")
    }

    /// The arms' configured weights, in arm order.
    public var weights: [Double] { arms.map(\.weight) }

    /// The index of the fallback arm.
    public var fallbackIndex: Int? { arms.firstIndex { $0.name == fallback } }

    /// How rates are totalled for the policy and the results.
    public var rateWeighting: RateWeighting { bandit?.rates ?? .pooled }

    /// How often the worker reads the totals to check the guardrails and the split (and for a
    /// Thompson experiment, to move traffic): the bandit's cadence, or for a fixed split,
    /// ``BanditSettings``' default.
    public var checkEvery: Duration { bandit?.updateEvery ?? BanditSettings().updateEvery }
}

extension Experiment {
    /// Reads an experiment stored by any Armory: one stored before guardrails has none.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try container.decode(String.self, forKey: .id), description: try container.decode(String.self, forKey: .description),
            unit: try container.decode(String.self, forKey: .unit), objective: try container.decode(Objective.self, forKey: .objective),
            policy: try container.decode(PolicyKind.self, forKey: .policy), coverage: try container.decode(Double.self, forKey: .coverage),
            fallback: try container.decode(String.self, forKey: .fallback), seed: try container.decode(String.self, forKey: .seed),
            status: try container.decode(ExperimentStatus.self, forKey: .status),
            timeBudget: try container.decode(Duration.self, forKey: .timeBudget), arms: try container.decode([Arm].self, forKey: .arms),
            bandit: try container.decodeIfPresent(BanditSettings.self, forKey: .bandit),
            guardrails: try container.decodeIfPresent([Guardrail].self, forKey: .guardrails) ?? [],
            safety: try container.decodeIfPresent(SafetySettings.self, forKey: .safety) ?? SafetySettings()
        )
    }
}

/// One arm: an algorithm module with its parameters and its initial share of traffic.
public struct Arm: Sendable, Hashable, Codable {
    /// `[a-z0-9_-]{1,64}`, unique within the experiment.
    public var name: String
    /// The registered name of the algorithm module.
    public var algorithm: String
    /// Parameters handed to the module, by name.
    public var parameters: [String: ParameterValue]
    /// The configured share of traffic, in [0, 1].
    public var weight: Double

    /// Creates an arm.
    public init(name: String, algorithm: String, parameters: [String: ParameterValue] = [:], weight: Double) {
        self.name = name
        self.algorithm = algorithm
        self.parameters = parameters
        self.weight = weight
    }
}

/// What an experiment optimizes.
public enum Objective: String, Sendable, Hashable, Codable, CaseIterable {
    /// Click-through rate: decisions with at least one click, per decision.
    case ctr
    /// Conversion rate: decisions with at least one conversion, per decision.
    case conversion
    /// Mean engagement value (e.g. seconds watched) per decision.
    case engagement

    /// Whether the objective is a rate with a Beta posterior (as opposed to a mean).
    public var isRate: Bool { self != .engagement }
}

/// How an experiment splits traffic.
public enum PolicyKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// The weights in the file, for the experiment's whole life.
    case fixed
    /// Weights follow each arm's probability of being best.
    case thompson
}

/// Whether an experiment serves its arms.
public enum ExperimentStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// Units are assigned to arms by the current weights.
    case running
    /// Every unit gets the fallback arm; weights are frozen.
    case paused
}

/// The settings of a Thompson-sampling experiment (`bandit:` in YAML).
public struct BanditSettings: Sendable, Hashable, Codable {
    /// How often the worker recomputes weights.
    public var updateEvery: Duration
    /// Trials every arm needs before the first update.
    public var minTrialsPerArm: Int
    /// How long the experiment runs before the first update.
    public var minDuration: Duration
    /// The additive floor f: w = f + (1 − K f) · P(best); uniform when K f ≥ 1.
    public var minWeight: Double
    /// The Beta prior for rate objectives.
    public var prior: BetaPrior
    /// How the update totals rates when traffic moved during the phase.
    public var rates: RateWeighting

    /// Creates settings; the defaults are those documented in the README.
    public init(
        updateEvery: Duration = .seconds(300),
        minTrialsPerArm: Int = 100,
        minDuration: Duration = .seconds(600),
        minWeight: Double = 0.01,
        prior: BetaPrior = .uniform,
        rates: RateWeighting = .pooled
    ) {
        self.rates = rates
        self.updateEvery = updateEvery
        self.minTrialsPerArm = minTrialsPerArm
        self.minDuration = minDuration
        self.minWeight = minWeight
        self.prior = prior
    }
}

extension BanditSettings {
    /// Reads settings stored by any Armory: those stored before rate weighting are pooled.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            updateEvery: try container.decode(Duration.self, forKey: .updateEvery),
            minTrialsPerArm: try container.decode(Int.self, forKey: .minTrialsPerArm),
            minDuration: try container.decode(Duration.self, forKey: .minDuration),
            minWeight: try container.decode(Double.self, forKey: .minWeight), prior: try container.decode(BetaPrior.self, forKey: .prior),
            rates: try container.decodeIfPresent(RateWeighting.self, forKey: .rates) ?? .pooled
        )
    }
}
