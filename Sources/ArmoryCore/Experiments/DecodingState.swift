import ArmoryKit
import Yams

/// The walk over one document: reads every field, checks it, and keeps going after a problem.
struct DecodingState {
    var reader: YAMLReader
    let algorithms: [String: AlgorithmDescriptor]?
    var declaredID: (id: String, line: Int, column: Int)?

    /// `[a-z0-9-]{1,64}`
    static func isValidID(_ text: String) -> Bool {
        Experiment.isValidID(text)
    }

    /// `[a-z0-9_-]{1,64}`
    static func isValidArmName(_ text: String) -> Bool {
        isName(text, extra: "_-")
    }

    /// `[a-z][a-z0-9_]{0,63}`
    static func isValidUnit(_ text: String) -> Bool {
        isName(text, extra: "_") && text.utf8.first.map { $0 >= 0x61 && $0 <= 0x7A } == true
    }

    /// 1 to 64 of lower-case ASCII letters, digits and the characters in `extra`.
    static func isName(_ text: String, extra: String) -> Bool {
        let extraBytes = Set(extra.utf8)
        return (1...64).contains(text.utf8.count) && text.utf8.allSatisfy {
            ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || extraBytes.contains($0)
        }
    }

    mutating func experiment(from root: Node) -> Experiment? {
        guard let fields = reader.entries(of: root, field: "", allowed: ExperimentDecoder.rootKeys) else { return nil }
        let rootMark = root.mark

        let id = required("id", in: fields, at: rootMark).flatMap { readID($0) }
        let description = fields["description"].flatMap { reader.string($0.value, field: "description") } ?? ""
        let unit = fields["unit"].map { entry -> String? in
            guard let unit = reader.string(entry.value, field: "unit") else { return nil }
            guard Self.isValidUnit(unit) else {
                reader.report("'\(unit)' is not a valid unit attribute: use a lower-case name such as user_id",
                              at: entry.value.mark, field: "unit")
                return nil
            }
            return unit
        } ?? "user_id"
        let objective = required("objective", in: fields, at: rootMark).flatMap {
            reader.choice($0, field: "objective", as: Objective.self)
        }
        let policy = fields["policy"].map { reader.choice($0.value, field: "policy", as: PolicyKind.self) } ?? .fixed
        let status = fields["status"].map { reader.choice($0.value, field: "status", as: ExperimentStatus.self) } ?? .running
        let coverage = fields["coverage"].map { readCoverage($0.value) } ?? 1
        let seed = fields["seed"].map { readSeed($0.value) } ?? id
        let timeBudget = fields["time_budget"].map { readTimeBudget($0.value) } ?? Experiment.defaultTimeBudget
        let arms = required("arms", in: fields, at: rootMark).flatMap { armList(from: $0) }
        let fallbackNode = required("fallback", in: fields, at: rootMark)
        let fallback = fallbackNode.flatMap { reader.string($0, field: "fallback") }
        if let fallback, let arms, !arms.contains(where: { $0.name == fallback }) {
            var message = "names no arm: '\(fallback)' is not one of \(arms.map { "'\($0.name)'" }.joined(separator: ", "))"
            if let suggestion = YAMLReader.closest(to: fallback, among: arms.map(\.name)) {
                message += " (did you mean '\(suggestion)'?)"
            }
            reader.report(message, at: fallbackNode?.mark, field: "fallback")
        }
        let bandit = banditSettings(from: fields["bandit"], policy: policy, objective: objective, rootMark: rootMark)
        let guardrails = guardrails(from: fields["guardrails"], arms: arms)
        let safety = safetySettings(from: fields["safety"])

        guard let id, let objective, let policy, let status, let coverage, let seed, let timeBudget, let arms, let fallback,
              reader.problems.isEmpty else { return nil }
        return Experiment(
            id: id, description: description, unit: unit ?? "user_id", objective: objective, policy: policy,
            coverage: coverage, fallback: fallback, seed: seed, status: status, timeBudget: timeBudget, arms: arms, bandit: bandit,
            guardrails: guardrails, safety: safety
        )
    }

    private mutating func readID(_ node: Node) -> String? {
        guard let id = reader.string(node, field: "id") else { return nil }
        guard Self.isValidID(id) else {
            reader.report("'\(id)' is not a valid id: use 1 to 64 lower-case letters, digits and '-'", at: node.mark, field: "id")
            return nil
        }
        declaredID = (id, node.mark?.line ?? 1, node.mark?.column ?? 1)
        return id
    }

    private mutating func readCoverage(_ node: Node) -> Double? {
        guard let value = reader.number(node, field: "coverage") else { return nil }
        guard value >= 0 && value <= 1 else {
            reader.report("must be between 0 and 1 (the share of units in the experiment), not \(value)", at: node.mark, field: "coverage")
            return nil
        }
        return value
    }

    private mutating func readSeed(_ node: Node) -> String? {
        guard case .scalar(let scalar) = node,
              [.string, .integer].contains(YAMLReader.kind(of: scalar)), !scalar.string.isEmpty, scalar.string.count <= 256 else {
            reader.report("must be a non-empty string of at most 256 characters, not \(YAMLReader.describe(node))", at: node.mark, field: "seed")
            return nil
        }
        return scalar.string
    }

    private mutating func readTimeBudget(_ node: Node) -> Duration? {
        guard let budget = reader.duration(node, field: "time_budget") else { return nil }
        guard budget >= .milliseconds(1) && budget <= .seconds(60) else {
            reader.report("must be between 1ms and 60s (how long an arm's module may take per request), not \(DurationText.format(budget))",
                          at: node.mark, field: "time_budget")
            return nil
        }
        return budget
    }

    private mutating func required(_ key: String, in fields: [String: YAMLReader.Entry], at mark: Mark?, field prefix: String = "") -> Node? {
        guard let entry = fields[key] else {
            reader.report("missing required key '\(key)'", at: mark, field: prefix)
            return nil
        }
        return entry.value
    }

    // MARK: - Arms

    private mutating func armList(from node: Node) -> [Arm]? {
        guard case .sequence(let sequence) = node else {
            reader.report("must be a list of arms (each '- name: …'), not \(YAMLReader.describe(node))", at: node.mark, field: "arms")
            return nil
        }
        guard sequence.count >= 2 else {
            reader.report("an experiment needs at least 2 arms, found \(sequence.count)", at: node.mark, field: "arms")
            return nil
        }
        guard sequence.count <= ExperimentDecoder.maximumArms else {
            reader.report("an experiment may have at most \(ExperimentDecoder.maximumArms) arms, found \(sequence.count)",
                          at: node.mark, field: "arms")
            return nil
        }
        var arms: [Arm] = []
        var firstUse: [String: Mark?] = [:]
        var weightsGiven: [Bool] = []
        var isComplete = true
        for (index, armNode) in sequence.enumerated() {
            let field = "arms[\(index)]"
            guard let parsed = arm(from: armNode, field: field) else {
                isComplete = false
                continue
            }
            if let earlier = firstUse[parsed.arm.name] {
                reader.report("duplicate arm name '\(parsed.arm.name)' (first used at line \(earlier?.line ?? 0))",
                              at: parsed.nameMark, field: "\(field).name")
                isComplete = false
            } else {
                firstUse[parsed.arm.name] = parsed.nameMark
            }
            arms.append(parsed.arm)
            weightsGiven.append(parsed.hasWeight)
        }
        guard isComplete else { return nil }
        if weightsGiven.allSatisfy({ !$0 }) {
            // No weights at all: an even split.
            for index in arms.indices { arms[index].weight = 1 / Double(arms.count) }
        } else if let missing = weightsGiven.firstIndex(of: false) {
            reader.report("has no weight while other arms do: give every arm a weight, or none for an even split",
                          at: sequence[missing].mark, field: "arms[\(missing)]")
        } else {
            let total = arms.reduce(0) { $0 + $1.weight }
            if abs(total - 1) > 1e-6 {
                reader.report("arm weights sum to \(total), not 1 (±1e-6)", at: node.mark, field: "arms")
            }
        }
        // Returned even with a weight problem (already reported), so the fallback is still checked.
        return arms
    }

    private mutating func arm(from node: Node, field: String) -> (arm: Arm, nameMark: Mark?, hasWeight: Bool)? {
        let problemsBefore = reader.problems.count
        guard let fields = reader.entries(of: node, field: field, allowed: ExperimentDecoder.armKeys) else { return nil }
        let nameNode = required("name", in: fields, at: node.mark, field: field)
        let name = nameNode.flatMap { nameNode -> String? in
            guard let name = reader.string(nameNode, field: "\(field).name") else { return nil }
            guard Self.isValidArmName(name) else {
                reader.report("'\(name)' is not a valid arm name: use 1 to 64 lower-case letters, digits, '_' and '-'",
                              at: nameNode.mark, field: "\(field).name")
                return nil
            }
            return name
        }
        let algorithmNode = required("algorithm", in: fields, at: node.mark, field: field)
        let algorithm = algorithmNode.flatMap { reader.string($0, field: "\(field).algorithm") }
        let parameters = fields["params"].flatMap { parameterValues(from: $0.value, field: "\(field).params") } ?? [:]
        let weight = fields["weight"].flatMap { entry -> Double? in
            guard let weight = reader.number(entry.value, field: "\(field).weight") else { return nil }
            guard weight >= 0 && weight <= 1 else {
                reader.report("must be between 0 and 1, not \(weight)", at: entry.value.mark, field: "\(field).weight")
                return nil
            }
            return weight
        }
        if let algorithm, let algorithmNode {
            checkAlgorithm(algorithm, at: algorithmNode.mark, parameters: parameters, paramsEntry: fields["params"], field: field)
        }
        guard let name, let algorithm, reader.problems.count == problemsBefore else { return nil }
        return (Arm(name: name, algorithm: algorithm, parameters: parameters, weight: weight ?? 0), nameNode?.mark, fields["weight"] != nil)
    }

    private mutating func parameterValues(from node: Node, field: String) -> [String: ParameterValue]? {
        guard case .mapping(let mapping) = node else {
            reader.report("must be a mapping of parameter names to values, not \(YAMLReader.describe(node))", at: node.mark, field: field)
            return nil
        }
        var values: [String: ParameterValue] = [:]
        for (key, value) in mapping {
            guard case .scalar(let keyScalar) = key else {
                reader.report("parameter names must be plain words, not \(YAMLReader.describe(key))", at: key.mark, field: field)
                continue
            }
            guard case .scalar(let scalar) = value, let parameter = YAMLReader.parameterValue(of: scalar) else {
                reader.report("must be a string, number or boolean, not \(YAMLReader.describe(value))",
                              at: value.mark, field: "\(field).\(keyScalar.string)")
                continue
            }
            values[keyScalar.string] = parameter
        }
        return values
    }

    /// Checks an arm's algorithm and parameters against the loaded modules' descriptors.
    private mutating func checkAlgorithm(
        _ name: String, at mark: Mark?, parameters: [String: ParameterValue], paramsEntry: YAMLReader.Entry?, field: String
    ) {
        guard let algorithms else { return }
        guard let descriptor = algorithms[name] else {
            let known = algorithms.keys.sorted()
            var message = "unknown algorithm '\(name)'"
            if let suggestion = YAMLReader.closest(to: name, among: known) {
                message += " (did you mean '\(suggestion)'?)"
            }
            message += known.isEmpty ? "; no algorithm modules are loaded" : "; loaded: \(known.joined(separator: ", "))"
            reader.report(message, at: mark, field: "\(field).algorithm")
            return
        }
        var parameterMarks: [String: Mark?] = [:]
        if case .mapping(let mapping)? = paramsEntry?.value {
            for (key, value) in mapping { parameterMarks[key.string ?? ""] = value.mark ?? key.mark }
        }
        for (parameterName, value) in parameters.sorted(by: { $0.key < $1.key }) {
            let location = parameterMarks[parameterName] ?? paramsEntry?.keyMark
            guard let spec = descriptor.parameter(named: parameterName) else {
                let names = descriptor.parameters.map(\.name)
                var message = "algorithm '\(name)' has no parameter '\(parameterName)'"
                if let suggestion = YAMLReader.closest(to: parameterName, among: names) {
                    message += " (did you mean '\(suggestion)'?)"
                }
                message += names.isEmpty ? "; it takes none" : "; it takes: \(names.joined(separator: ", "))"
                reader.report(message, at: location ?? mark, field: "\(field).params.\(parameterName)")
                continue
            }
            if let problem = spec.problem(with: value) {
                reader.report(problem, at: location ?? mark, field: "\(field).params.\(parameterName)")
            }
        }
        for spec in descriptor.parameters where spec.isRequired && parameters[spec.name] == nil {
            reader.report("algorithm '\(name)' needs parameter '\(spec.name)' (\(spec.type.phrase))",
                          at: paramsEntry?.keyMark ?? mark, field: "\(field).params")
        }
    }
}
