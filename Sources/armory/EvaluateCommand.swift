import ArgumentParser
import ArmoryCore
import ArmoryServer
import Foundation

/// `armory evaluate`: score algorithms offline, side by side, on a time split.
struct EvaluateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score algorithms offline on a time split of the stored views and likes: recall@k, NDCG@k, MAP@k, coverage.",
        discussion: """
        Each ALGORITHM is a name with optional parameters as an arm would set them: `popularity`, \
        `popularity:window_days=30`, `matrix-factorization:model=movies-mf@champion`. Every algorithm is \
        asked, as of the cut, for k movies for each user who watched a movie they had not watched before \
        it, reading only the events before the cut. Figures are means over those users with 95% \
        percentile-bootstrap intervals (1000 resamples, seed 1); coverage is the share of the catalog in \
        some user's list. A model version trained on events after the cut has seen the held-out ones: \
        evaluate such a version with the --test-fraction it was trained with, or read the figures \
        `armory train` stored with it.
        """
    )

    @Argument(help: "The algorithms, each NAME or NAME:param=value,param=value.")
    var algorithms: [String] = ["popularity", "history"]

    @Option(help: "The share of the newest events held out.")
    var testFraction = 0.2

    @Option(help: "The cut-off.")
    var k = 10

    @Option(help: "Bootstrap resamples for the intervals.")
    var resamples = 1_000

    @Option(help: "Output: table, json or csv.")
    var format: EvaluationFormat = .table

    @OptionGroup var stores: LocalStoreOptions

    enum EvaluationFormat: String, ExpressibleByArgument, CaseIterable {
        case table, json, csv
    }

    func validate() throws {
        guard testFraction > 0, testFraction < 1 else { throw ValidationError("--test-fraction must be between 0 and 1") }
        guard (1...1_000).contains(k) else { throw ValidationError("--k must be from 1 to 1000") }
        guard (1...10_000).contains(resamples) else { throw ValidationError("--resamples must be from 1 to 10000") }
        _ = try algorithms.map(Self.candidate)
    }

    func run() async throws {
        let candidates = try algorithms.map(Self.candidate)
        let (fraction, k, resamples) = (testFraction, k, resamples)
        let bar = FractionBar()
        let (cut, users, scores) = try await reportingLocalFailures {
            try await stores.withModels { store, models, algorithms in
                let scoring = OfflineScoring(store: store, models: models, algorithms: algorithms)
                let (watches, catalog) = try await scoring.readData()
                let split = try scoring.split(watches, catalog: catalog, holdingOut: fraction)
                var scores: [OfflineEvaluation.Score] = []
                for (index, candidate) in candidates.enumerated() {
                    let (_, version) = try await scoring.algorithm(for: candidate)
                    if let version, let trainedUntil = version.training.to, trainedUntil >= split.cut {
                        let iso = ISO8601DateFormatter()
                        printError("note: \(version.reference) was trained on events up to \(iso.string(from: trainedUntil)), "
                            + "after the cut \(iso.string(from: split.cut)): "
                            + "it has seen the held-out events, so its figures are optimistic")
                    }
                    scores += try await scoring.score([candidate], on: split, k: k, bootstrap: Bootstrap(resamples: resamples)) { _, done in
                        bar.update((Double(index) + done) / Double(candidates.count), candidate.label)
                    }
                }
                return (split.cut, split.heldOut.count, scores)
            }
        }
        switch format {
        case .json:
            try printJSON(EvaluationReport(cut: cut, k: k, users: users, scores: scores))
        case .csv:
            print(EvaluationTable.csv(scores))
        case .table:
            printError("held out: the events from \(ISO8601DateFormatter().string(from: cut)) on; \(users) users scored")
            print(EvaluationTable.render(scores))
        }
    }

    /// `NAME` or `NAME:param=value,…`.
    static func candidate(_ text: String) throws -> OfflineScoring.Candidate {
        guard let colon = text.firstIndex(of: ":") else { return OfflineScoring.Candidate(algorithm: text) }
        return OfflineScoring.Candidate(algorithm: String(text[..<colon]),
                                        parameters: try parseParameters([String(text[text.index(after: colon)...])], option: text))
    }
}

/// `armory evaluate --format json`.
struct EvaluationReport: Encodable {
    var cut: Date
    var k: Int
    var users: Int
    var scores: [OfflineEvaluation.Score]
}

/// Offline figures as a table or CSV, one row per algorithm.
enum EvaluationTable {
    static func render(_ scores: [OfflineEvaluation.Score]) -> String {
        let k = scores.first?.k ?? 10
        var table = TextTable(header: ["ALGORITHM", "USERS", "RECALL@\(k)", "NDCG@\(k)", "MAP@\(k)", "COVERAGE"])
        for score in scores {
            table.rows.append([score.name, String(score.users), interval(score.recall), interval(score.ndcg), interval(score.map),
                               interval(score.coverage)])
        }
        return table.rendered
    }

    static func csv(_ scores: [OfflineEvaluation.Score]) -> String {
        var lines = ["algorithm,k,users,recall,recall_low,recall_high,ndcg,ndcg_low,ndcg_high,map,map_low,map_high,coverage,coverage_low,coverage_high"]
        for score in scores {
            let figures = [score.recall, score.ndcg, score.map, score.coverage].flatMap { [$0.value, $0.lower, $0.upper] }
            let name = score.name.contains(",") || score.name.contains("\"") ? "\"\(score.name.replacing("\"", with: "\"\""))\"" : score.name
            lines.append(([name, String(score.k), String(score.users)] + figures.map { fixed($0, 5) }).joined(separator: ","))
        }
        return lines.joined(separator: "\n")
    }

    private static func interval(_ estimate: Estimate) -> String {
        "\(fixed(estimate.value, 4)) [\(fixed(estimate.lower, 4)), \(fixed(estimate.upper, 4))]"
    }
}
