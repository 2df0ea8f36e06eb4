import ArmoryCore
import ArmoryStorage
import Foundation

extension ExperimentPage {
    /// The sample-ratio check, each arm's module failures, and the guardrails.
    func health() -> HTML {
        let ratio = results.sampleRatio
        let ratioText: HTML = """
            <p class="ratio ratio-\(ratio.state.rawValue)"><strong>Sample ratio: \(ratio.state.rawValue)</strong>\
            \(ratio.pValue.map { "; p = \(PageFormat.bound(PageFormat.decimal($0, 4), sources.results, "sample_ratio.p_value"))" as HTML } ?? ""). \
            \(ratio.note)</p>
            """
        let rows: [HTML] = results.arms.enumerated().map { index, arm in
            let path = "arms.\(index)"
            return """
                <tr><th scope="row">\(arm.arm)</th><td>\(PageFormat.bound(PageFormat.count(arm.fallbacks), sources.results, "\(path).fallbacks"))</td>\
                <td>\(PageFormat.bound(PageFormat.percent(arm.fallbackRate, 2), sources.results, "\(path).fallback_rate"))</td>\
                <td>\(PageFormat.bound(PageFormat.count(arm.timeouts), sources.results, "\(path).timeouts"))</td>\
                <td>\(PageFormat.bound(PageFormat.count(arm.errors), sources.results, "\(path).errors"))</td></tr>
                """
        }
        return """
            <section id="health"><h2>Health</h2>\(ratioText)<div class="scroll"><table><caption>Decisions each arm's module failed, \
            answered by the fallback arm '\(report.live.experiment.fallback)'.</caption><thead><tr><th scope="col">arm</th>\
            <th scope="col">fallbacks</th><th scope="col">fallback rate</th><th scope="col">timeouts</th><th scope="col">errors</th>\
            </tr></thead><tbody>\(rows)</tbody></table></div>\(guardrails())</section>
            """
    }

    private func guardrails() -> HTML {
        guard !results.guardrails.isEmpty else { return "<p>No guardrails are declared.</p>" }
        // A relative change as a signed percentage, as the warnings write it; an absolute one as a difference.
        func change(_ value: Double, _ evidence: GuardrailEvidence, _ path: String) -> HTML {
            let text = evidence.isRelative ? (value < 0 ? "" : "+") + PageFormat.percent(value, 2) : PageFormat.signed(value, 4)
            return PageFormat.bound(text == "+0.00%" ? "0.00%" : text, sources.results, path)
        }
        let rows: [HTML] = results.guardrails.enumerated().map { index, result in
            let path = "guardrails.\(index).evidence"
            let evidence = result.evidence
            return """
                <tr class="guardrail-\(result.state.rawValue)"><td>\(PageFormat.bound(String(result.guardrail), sources.results, "guardrails.\(index).guardrail")). \
                \(result.metric.rawValue) (\(result.action.rawValue))</td><td class="text">\(result.arm)</td><td class="text">\(result.reference)</td>\
                <td>\(result.state.rawValue)</td>\
                <td>\(evidence.map { change($0.change, $0, "\(path).change") } ?? "—")</td>\
                <td>\(evidence.map { "[\(change($0.intervalLow, $0, "\(path).interval_low")), \(change($0.intervalHigh, $0, "\(path).interval_high"))]" as HTML } ?? "—")</td>\
                <td>\(evidence.map { change($0.threshold, $0, "\(path).threshold") } ?? "—")</td></tr>
                """
        }
        return """
            <div class="scroll"><table id="guardrails"><caption>Guardrails: each arm against its reference, with the always-valid \
            interval of the change (relative changes in percent, absolute ones as differences).</caption><thead><tr><th scope="col">guardrail</th>\
            <th scope="col">arm</th><th scope="col">vs</th><th scope="col">state</th><th scope="col">change</th>\
            <th scope="col">interval</th><th scope="col">threshold</th></tr></thead><tbody>\(rows)</tbody></table></div>
            """
    }

    /// The newest weight versions and audit entries, and the links to all of it as data.
    func history() -> HTML {
        let versions: [HTML] = report.versions.prefix(Self.historyRows).enumerated().map { index, version in
            let path = "versions.\(index)"
            let weights: [HTML] = zip(version.arms, version.weights).enumerated().map { armIndex, pair in
                "\(armIndex == 0 ? "" : ", ")\(pair.0) \(PageFormat.bound(PageFormat.decimal(pair.1, 3), sources.weights, "\(path).weights.\(armIndex)"))"
            }
            return """
                <tr><th scope="row">v\(PageFormat.bound(String(version.version), sources.weights, "\(path).version"))</th>\
                <td>\(PageFormat.bound(PageFormat.time(version.createdAt), sources.weights, "\(path).created_at"))</td>\
                <td class="text">\(version.reason.rawValue)</td><td class="text">\(version.actor)</td><td class="text">\(weights)</td>\
                <td class="text">\(version.note)</td></tr>
                """
        }
        let entries: [HTML] = report.audit.prefix(Self.historyRows).enumerated().map { index, entry in
            let detail = entry.detail.hasPrefix("{") ? "(evidence in the JSON)" : entry.detail
            return """
                <tr><td>\(PageFormat.bound(PageFormat.time(entry.createdAt), sources.audit, "entries.\(index).created_at"))</td>\
                <td class="text">\(entry.action)</td><td class="text">\(entry.actor)</td><td class="text">\(entry.reason)</td>\
                <td class="text">\(detail)</td></tr>
                """
        }
        let base = "/v1/experiments/\(id)"
        return """
            <section id="history"><h2>History</h2><div class="scroll"><table id="weight-history"><caption>Weight versions, newest \
            first (the newest \(String(Self.historyRows)); times in UTC).</caption><thead><tr><th scope="col">version</th>\
            <th scope="col">made</th><th scope="col">reason</th><th scope="col">by</th><th scope="col">weights</th>\
            <th scope="col">note</th></tr></thead><tbody>\(versions)</tbody></table></div>\
            <div class="scroll"><table id="audit"><caption>Audit log, newest first (the newest \(String(Self.historyRows))).</caption>\
            <thead><tr><th scope="col">when</th><th scope="col">action</th><th scope="col">by</th><th scope="col">reason</th>\
            <th scope="col">detail</th></tr></thead><tbody>\(entries)</tbody></table></div>\
            <p class="links">As data: <a href="\(base)/results">results now (JSON)</a> · <a href="\(base)/results?format=csv">results now (CSV)</a> · \
            <a href="\(sources.timeline)">timeline as shown (JSON)</a> · <a href="\(sources.timeline)&amp;format=csv">timeline as shown (CSV)</a> · \
            <a href="\(base)/weights">weight history</a> · <a href="\(base)/audit">audit log</a> · <a href="\(base)">experiment</a></p></section>
            """
    }
}

/// A posterior's 95% interval as a bar on an axis shared by every arm, with its mean as a dot.
struct IntervalBar {
    static let width = 140.0
    let axis: ClosedRange<Double>
    let colour: String

    func svg(_ arm: ExperimentResults.ArmResult) -> HTML {
        guard let low = arm.intervalLow, let high = arm.intervalHigh, let mean = arm.posteriorMean else { return "" }
        func x(_ value: Double) -> Double {
            4 + (Self.width - 8) * (value - axis.lowerBound) / max(axis.upperBound - axis.lowerBound, 1e-12)
        }
        return """
            <svg class="bar" viewBox="0 0 \(coordinate(Self.width)) 16" width="\(coordinate(Self.width))" height="16" role="img" \
            aria-label="95% interval \(PageFormat.decimal(low, 4)) to \(PageFormat.decimal(high, 4)), mean \(PageFormat.decimal(mean, 4))">\
            <line class="axis-line" x1="4" x2="\(coordinate(Self.width - 4))" y1="8" y2="8"/>\
            <rect x="\(coordinate(x(low)))" y="3" width="\(coordinate(max(x(high) - x(low), 1)))" height="10" fill="\(colour)" opacity="0.45"/>\
            <circle cx="\(coordinate(x(mean)))" cy="8" r="3.5" fill="\(colour)" stroke="#000" stroke-width="0.8"/></svg> 
            """
    }
}
