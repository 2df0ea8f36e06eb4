import ArmoryCore
import ArmoryServer
import Foundation

/// What `armory results` prints: the arms, the split by model version, the guardrails, the
/// sample-ratio check and what period-weighted rates would do.
struct ResultsTable {
    let results: ExperimentResults

    var rendered: String {
        var lines = ["\(results.experiment): \(results.objective.rawValue), \(results.status), config v\(results.configVersion), "
            + "weights v\(results.weightVersion), since \(results.phaseStart.formatted(.iso8601))"]
        lines.append(arms)
        if let byModel = results.byModel, !byModel.isEmpty {
            var models = TextTable(header: ["ARM", "MODEL", "TRIALS", "SUCCESSES", "RATE"], leftAligned: [0, 1])
            for row in byModel {
                models.rows.append([row.arm, row.model.isEmpty ? "(none)" : row.model, String(row.trials), String(row.successes),
                                    row.rate.map { ExperimentResults.percent($0) } ?? "-"])
            }
            lines.append("by model version:\n" + models.rendered)
        }
        if !results.guardrails.isEmpty { lines.append(guardrails) }
        lines += results.warnings.map { "warning: \($0)" }
        let check = results.sampleRatio
        lines.append("sample ratio: \(check.note)" + (check.periods > 1 ? " (expected counts follow each weight version)" : ""))
        if let weighted = periodWeighted { lines.append(weighted) }
        return lines.joined(separator: "\n")
    }

    private var arms: String {
        var table = TextTable(header: ["arm", "algorithm", "trials", "successes", "rate", "mean", "95% interval", "P(best)",
                                       "exp. loss", "weight", "fallbacks"], leftAligned: [0, 1])
        for arm in results.arms {
            let interval = arm.intervalLow.map { "[\(fixed($0, 4)), \(number(arm.intervalHigh, 4))]" } ?? "-"
            table.rows.append([arm.arm, arm.algorithm, String(arm.trials), String(arm.successes), number(arm.rate, 4),
                               number(arm.posteriorMean, 4), interval, number(arm.probabilityBest, 4),
                               number(arm.expectedLoss, 5), fixed(arm.weight, 4) + (arm.isDropped ? " (dropped)" : ""),
                               arm.fallbackRate.map { "\(arm.fallbacks) (\(ExperimentResults.percent($0)))" } ?? "-"])
        }
        return table.rendered
    }

    private var guardrails: String {
        var table = TextTable(header: ["guardrail", "arm", "vs", "state", "change", "always-valid interval", "threshold"], leftAligned: [0, 1, 2, 3])
        for result in results.guardrails {
            let evidence = result.evidence
            func change(_ value: Double?) -> String {
                guard let value, let evidence else { return "-" }
                return evidence.isRelative ? String(format: "%+.2f%%", value * 100) : String(format: "%+.4f", value)
            }
            let interval = evidence.map { "[\(change($0.intervalLow)), \(change($0.intervalHigh))]" } ?? "-"
            let state = result.state == .breached ? "BREACHED (\(result.action.rawValue))" : result.state.rawValue
            table.rows.append(["\(result.guardrail). \(result.metric.rawValue)", result.arm, result.reference, state,
                               change(evidence?.change), interval, change(evidence?.threshold)])
        }
        let waiting = results.guardrails.filter { $0.state == .waiting }.map { "  \($0.arm), \($0.metric.rawValue): \($0.note)" }
        return "guardrails:\n" + table.rendered + (waiting.isEmpty ? "" : "\n" + waiting.joined(separator: "\n"))
    }

    private var periodWeighted: String? {
        guard results.arms.contains(where: { $0.periodWeightedRate != nil }) else { return nil }
        let arms = results.arms.map { arm in
            "\(arm.arm) \(number(arm.periodWeightedRate, 4))" + (arm.periodWeightedWeight.map { " → weight \(fixed($0, 3))" } ?? "")
        }
        return "period-weighted rates (\(results.rates == .periodWeighted ? "used by the policy" : "not used: bandit.rates is pooled")): "
            + arms.joined(separator: ", ")
    }

    private func number(_ value: Double?, _ digits: Int) -> String { value.map { fixed($0, digits) } ?? "-" }
}
