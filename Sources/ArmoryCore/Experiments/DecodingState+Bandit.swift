import Yams

extension DecodingState {
    /// The `bandit:` block: defaults for a Thompson experiment without one, a problem for a
    /// fixed-split experiment with one.
    mutating func banditSettings(
        from entry: YAMLReader.Entry?, policy: PolicyKind?, objective: Objective?, rootMark: Mark?
    ) -> BanditSettings? {
        guard policy == .thompson else {
            if let entry, policy == .fixed {
                reader.report("bandit settings apply only to 'policy: thompson'; this experiment's policy is fixed",
                              at: entry.keyMark, field: "bandit")
            }
            return nil
        }
        var settings = BanditSettings()
        guard let entry else { return settings }
        guard let fields = reader.entries(of: entry.value, field: "bandit", allowed: ExperimentDecoder.banditKeys) else { return nil }

        if let node = fields["update_every"]?.value, let duration = reader.duration(node, field: "bandit.update_every") {
            if duration < .seconds(1) {
                reader.report("must be at least 1s", at: node.mark, field: "bandit.update_every")
            }
            settings.updateEvery = duration
        }
        if let node = fields["min_weight"]?.value, let floor = reader.number(node, field: "bandit.min_weight") {
            if floor < 0 || floor >= 1 {
                reader.report("must be at least 0 and below 1 (the share every arm keeps), not \(floor)",
                              at: node.mark, field: "bandit.min_weight")
            }
            settings.minWeight = floor
        }
        if let node = fields["rates"]?.value, let rates = reader.choice(node, field: "bandit.rates", as: RateWeighting.self) {
            settings.rates = rates
        }
        if let burnIn = fields["burn_in"] { readBurnIn(burnIn, into: &settings) }
        if let prior = fields["prior"] { readPrior(prior, objective: objective, into: &settings) }
        return settings
    }

    /// `bandit.burn_in`: the trials per arm and the time before weights first move.
    private mutating func readBurnIn(_ burnIn: YAMLReader.Entry, into settings: inout BanditSettings) {
        guard let burnInFields = reader.entries(of: burnIn.value, field: "bandit.burn_in", allowed: ExperimentDecoder.burnInKeys) else { return }
        if let node = burnInFields["min_trials_per_arm"]?.value,
           let trials = reader.integer(node, field: "bandit.burn_in.min_trials_per_arm") {
            if trials < 0 {
                reader.report("must not be negative, not \(trials)", at: node.mark, field: "bandit.burn_in.min_trials_per_arm")
            }
            settings.minTrialsPerArm = trials
        }
        if let node = burnInFields["min_duration"]?.value,
           let duration = reader.duration(node, field: "bandit.burn_in.min_duration") {
            settings.minDuration = duration
        }
    }

    /// `bandit.prior`: the Beta prior's alpha and beta (not for the engagement objective).
    private mutating func readPrior(_ prior: YAMLReader.Entry, objective: Objective?, into settings: inout BanditSettings) {
        if objective == .engagement {
            reader.report("a Beta prior applies to the ctr and conversion objectives, not to engagement",
                          at: prior.keyMark, field: "bandit.prior")
        } else if let priorFields = reader.entries(of: prior.value, field: "bandit.prior", allowed: ExperimentDecoder.priorKeys) {
            for key in ExperimentDecoder.priorKeys {
                guard let node = priorFields[key]?.value else {
                    reader.report("missing required key '\(key)'", at: prior.value.mark, field: "bandit.prior")
                    continue
                }
                guard let value = reader.number(node, field: "bandit.prior.\(key)") else { continue }
                guard value > 0 && value <= 1e6 else {
                    reader.report("must be above 0 and at most 1000000, not \(value)", at: node.mark, field: "bandit.prior.\(key)")
                    continue
                }
                if key == "alpha" { settings.prior.alpha = value } else { settings.prior.beta = value }
            }
        }
    }
}
