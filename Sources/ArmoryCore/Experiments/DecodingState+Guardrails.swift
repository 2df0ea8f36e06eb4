import Foundation
import Yams

extension DecodingState {
    /// The `guardrails:` list; `arms` and `fallback` (when they parsed) check each reference.
    mutating func guardrails(from entry: YAMLReader.Entry?, arms: [Arm]?) -> [Guardrail] {
        guard let entry else { return [] }
        guard case .sequence(let sequence) = entry.value else {
            reader.report("must be a list of guardrails (each '- metric: …'), not \(YAMLReader.describe(entry.value))",
                          at: entry.value.mark, field: "guardrails")
            return []
        }
        guard sequence.count <= ExperimentDecoder.maximumGuardrails else {
            reader.report("an experiment may have at most \(ExperimentDecoder.maximumGuardrails) guardrails, found \(sequence.count)",
                          at: entry.value.mark, field: "guardrails")
            return []
        }
        return sequence.enumerated().compactMap { index, node in guardrail(from: node, field: "guardrails[\(index)]", arms: arms) }
    }

    private mutating func guardrail(from node: Node, field: String, arms: [Arm]?) -> Guardrail? {
        let problemsBefore = reader.problems.count
        guard let fields = reader.entries(of: node, field: field, allowed: ExperimentDecoder.guardrailKeys) else { return nil }
        guard let metricNode = fields["metric"]?.value else {
            reader.report("missing required key 'metric'", at: node.mark, field: field)
            return nil
        }
        let metric = reader.choice(metricNode, field: "\(field).metric", as: Guardrail.Metric.self)
        let direction = fields["direction"].flatMap { reader.choice($0.value, field: "\(field).direction", as: Guardrail.Direction.self) }
        let action = fields["action"].map { reader.choice($0.value, field: "\(field).action", as: Guardrail.Action.self) } ?? .alert
        let tolerance = fields["tolerance"].map { readTolerance($0.value, field: "\(field).tolerance", metric: metric) } ?? .absolute(0)
        let minTrials = fields["min_trials"].map { entry -> Int? in
            guard let trials = reader.integer(entry.value, field: "\(field).min_trials") else { return nil }
            guard trials >= 30 && trials <= 100_000_000 else {
                reader.report("must be between 30 and 100000000 (the test's normal approximation needs at least 30 trials per arm), not \(trials)",
                              at: entry.value.mark, field: "\(field).min_trials")
                return nil
            }
            return trials
        } ?? Guardrail.defaultMinTrials
        let reference = fields["reference"].flatMap { entry -> String? in
            guard let name = reader.string(entry.value, field: "\(field).reference") else { return nil }
            if let arms, !arms.contains(where: { $0.name == name }) {
                var message = "names no arm: '\(name)' is not one of \(arms.map { "'\($0.name)'" }.joined(separator: ", "))"
                if let suggestion = YAMLReader.closest(to: name, among: arms.map(\.name)) { message += " (did you mean '\(suggestion)'?)" }
                reader.report(message, at: entry.value.mark, field: "\(field).reference")
            }
            return name
        }
        guard let metric, let action, let tolerance, let minTrials, reader.problems.count == problemsBefore else { return nil }
        return Guardrail(metric: metric, direction: direction, tolerance: tolerance, reference: reference, action: action, minTrials: minTrials)
    }

    /// A percentage (relative to the reference) or a number in the metric's units (absolute).
    private mutating func readTolerance(_ node: Node, field: String, metric: Guardrail.Metric?) -> Guardrail.Tolerance? {
        if case .scalar(let scalar) = node, YAMLReader.kind(of: scalar) == .string, scalar.string.hasSuffix("%") {
            guard let percent = Double(scalar.string.dropLast().trimmingCharacters(in: .whitespaces)), percent.isFinite,
                  percent >= 0, percent <= 1_000 else {
                reader.report("must be a percentage between 0% and 1000% (a change relative to the reference), not '\(scalar.string)'",
                              at: node.mark, field: field)
                return nil
            }
            return .relative(percent / 100)
        }
        guard let value = reader.number(node, field: field) else { return nil }
        let limit = metric?.isRate == false ? Double.greatestFiniteMagnitude : 1
        guard value >= 0 && value <= limit else {
            reader.report("must be at least 0\(limit == 1 ? " and at most 1 (a difference of rates)" : ""), not \(value); "
                + "write a change relative to the reference as a percentage, e.g. 10%", at: node.mark, field: field)
            return nil
        }
        return .absolute(value)
    }

    /// The `safety:` block.
    mutating func safetySettings(from entry: YAMLReader.Entry?) -> SafetySettings {
        var settings = SafetySettings()
        guard let entry, let fields = reader.entries(of: entry.value, field: "safety", allowed: ExperimentDecoder.safetyKeys) else {
            return settings
        }
        if let node = fields["alpha"]?.value, let alpha = reader.number(node, field: "safety.alpha") {
            if alpha >= 0.000001 && alpha <= 0.5 {
                settings.alpha = alpha
            } else {
                reader.report("must be between 0.000001 and 0.5 (the chance of any false action), not \(alpha)", at: node.mark, field: "safety.alpha")
            }
        }
        if let node = fields["on_mismatch"]?.value,
           let action = reader.choice(node, field: "safety.on_mismatch", as: SafetySettings.MismatchAction.self) {
            settings.onMismatch = action
        }
        if let node = fields["mismatch_p_value"]?.value, let pValue = reader.number(node, field: "safety.mismatch_p_value") {
            if pValue > 0 && pValue <= 0.05 {
                settings.mismatchPValue = pValue
            } else {
                reader.report("must be above 0 and at most 0.05, not \(pValue)", at: node.mark, field: "safety.mismatch_p_value")
            }
        }
        return settings
    }
}
