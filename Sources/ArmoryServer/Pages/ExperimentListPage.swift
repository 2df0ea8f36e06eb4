import ArmoryCore
import Foundation

/// `GET /`: every experiment served, with its status, objective, policy, arms, the leading arm
/// and its P(best), the last change of weights, and its health.
struct ExperimentListPage {
    /// One experiment's row; `results` is `nil` when its metrics could not be read.
    struct Row {
        var live: LiveExperiment
        var results: ExperimentResults?
    }

    let rows: [Row]

    func render() -> HTML {
        let body: [HTML] = rows.map(row)
        let table: HTML = rows.isEmpty ? "<p>No experiments are served: add a YAML file to the experiments folder and reload.</p>" : """
            <div class="scroll"><table class="list"><caption>Experiments served; numbers are for each one's current phase.</caption>\
            <thead><tr><th scope="col">experiment</th><th scope="col">status</th><th scope="col">objective</th><th scope="col">policy</th>\
            <th scope="col">arms</th><th scope="col">leading arm</th><th scope="col">P(best)</th><th scope="col">last weight change</th>\
            <th scope="col">health</th></tr></thead><tbody>\(body)</tbody></table></div>
            """
        return PageLayout.page(title: "Experiments", body: "<header><nav>Armory</nav><h1>Experiments</h1></header><main>\(table)</main>")
    }

    private func row(_ row: Row) -> HTML {
        let live = row.live
        let source = "/v1/experiments/\(live.id)/results"
        let weights = "/v1/experiments/\(live.id)/weights?limit=1"
        let arms = live.experiment.arms.map(\.name).joined(separator: ", ")
        var leader: HTML = "<td>—</td><td>—</td>"
        if let results = row.results, let index = results.leaderIndex {
            leader = """
                <td class="text">\(results.arms[index].arm)</td>\
                <td>\(PageFormat.bound(PageFormat.percent(results.arms[index].probabilityBest, 1), source, "arms.\(index).probability_best"))</td>
                """
        }
        let health: HTML
        if let results = row.results {
            health = results.warnings.isEmpty ? "<span class=\"health-ok\">ok</span>"
                : """
                  <span class="health-warn" title="\(results.warnings.joined(separator: "\n"))">\
                  \(PageFormat.bound(String(results.warnings.count), source, "warnings.length")) warning\(results.warnings.count == 1 ? "" : "s")</span>
                  """
        } else {
            health = "<span class=\"health-warn\">metrics unavailable</span>"
        }
        return """
            <tr><th scope="row"><a href="/experiments/\(live.id)">\(live.id)</a></th><td>\(live.statusName)</td>\
            <td>\(live.experiment.objective.rawValue)</td><td>\(live.experiment.policy.rawValue)</td><td class="text">\(arms)</td>\(leader)\
            <td>v\(PageFormat.bound(String(live.weights.version), weights, "versions.0.version")), \(live.weights.reason.rawValue), \
            \(PageFormat.bound(PageFormat.time(live.weights.createdAt), weights, "versions.0.created_at"))</td><td>\(health)</td></tr>
            """
    }
}
