import ArmoryKit
import Foundation

/// Serves a trained factor model (``ALSTrainer``'s): a user's score for a movie is the dot
/// product of their factor vectors. A user the model was trained on has a vector in it; a user
/// it has not seen gets one folded in from their history (one least-squares solve against the
/// fixed movie factors); a user with no history gets the most viewed movies.
public struct MatrixFactorization: ModelServingAlgorithm {
    public static let descriptor = AlgorithmDescriptor(
        name: "matrix-factorization",
        version: "1.0.0",
        summary: "A trained factor model's best movies for the user (train one with `armory train als`)",
        parameters: [
            ParameterSpec(name: "model", type: .string,
                          summary: "The model to serve: NAME@ALIAS (movies-mf@champion) or NAME@VERSION (movies-mf@3)"),
        ]
    )

    let model: FactorModel
    let rowByUser: [String: Int]
    let rowByMovie: [Int: Int]
    /// YᵀY + λI of the movie factors, for folding in users the model has not seen.
    let gram: [Float]

    public init(parameters: Parameters) throws {
        throw AlgorithmError("matrix-factorization serves a trained model: name it in the arm's params (model: NAME@ALIAS)")
    }

    public init(parameters: Parameters, model trained: TrainedModel) throws {
        model = try FactorModel(decoding: trained.artifact)
        rowByUser = Dictionary(model.userIDs.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        rowByMovie = Dictionary(model.movieIDs.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        gram = AlternatingLeastSquares.gram(model.movieFactors, factors: model.factors, regularization: model.regularization)
    }

    public func recommend(_ request: RecommendationRequest, data: any DataSource) async throws -> [ScoredItem] {
        let history = try await data.history(of: request.userID, since: nil)
        guard let vector = userVector(request.userID, history: history) else {
            return try await data.filled([], to: request.limit, excluding: request.exclusions)
        }
        let excluded = history.seenMovieIDs.union(request.exclusions)
        var skipped = [Bool](repeating: false, count: model.movieIDs.count)
        for movieID in excluded {
            if let row = rowByMovie[movieID] { skipped[row] = true }
        }
        let top = best(request.limit, for: vector, skipping: skipped)
        return try await data.filled(top, to: request.limit, excluding: excluded)
    }

    /// The `limit` movies with the highest scores for `vector`, best first, leaving out the
    /// `skipping` rows. Every movie is scored; only a score that would enter the list so far is
    /// offered to it (a handful of the catalog's movies), which keeps the scan a tight loop.
    func best(_ limit: Int, for vector: [Float], skipping: [Bool]) -> [ScoredItem] {
        var top = TopItems(limit: limit)
        var threshold = -Float.infinity
        let (f, count) = (model.factors, model.movieIDs.count)
        model.movieFactors.withUnsafeBufferPointer { movies in
            vector.withUnsafeBufferPointer { user in
                skipping.withUnsafeBufferPointer { skipped in
                    model.movieIDs.withUnsafeBufferPointer { ids in
                        for row in 0..<count where !skipped[row] {
                            let score = VectorKernels.dot(movies.baseAddress! + row * f, user.baseAddress!, f)
                            guard score >= threshold else { continue }
                            top.insert(movieID: ids[row], score: Double(score))
                            if top.items.count == limit, let last = top.items.last { threshold = Float(last.score) }
                        }
                    }
                }
            }
        }
        return top.items
    }

    /// The user's factor vector: the model's, or one folded in from `history`; `nil` for a user
    /// the model has not seen and who has no history of movies it knows.
    func userVector(_ userID: String, history: UserHistory) -> [Float]? {
        let f = model.factors
        if let row = rowByUser[userID] {
            return Array(model.userFactors[row * f..<(row + 1) * f])
        }
        var weights: [Int: Float] = [:]
        for event in history.views { if let row = rowByMovie[event.movieID] { weights[row, default: 0] += 1 } }
        for event in history.likes { if let row = rowByMovie[event.movieID] { weights[row, default: 0] += model.likeWeight } }
        guard !weights.isEmpty else { return nil }
        let cells = weights.sorted { $0.key < $1.key }
        let columns = cells.map { Int32($0.key) }
        let confidences = cells.map { 1 + model.alpha * $0.value }
        var scratch = AlternatingLeastSquares.Scratch(factors: f)
        defer { scratch.deallocate() }
        model.movieFactors.withUnsafeBufferPointer { movies in
            gram.withUnsafeBufferPointer { gram in
                columns.withUnsafeBufferPointer { columns in
                    confidences.withUnsafeBufferPointer { confidences in
                        AlternatingLeastSquares.solve(&scratch, columns: columns, confidences: confidences, fixed: movies.baseAddress!,
                                                      gram: gram.baseAddress!, factors: f, steps: min(f, 8))
                    }
                }
            }
        }
        return Array(UnsafeBufferPointer(start: scratch.x, count: f))
    }
}

@_cdecl("armory_module_entry")
public func armoryModuleEntry(hostABIVersion: UInt32, registrar: UnsafeMutableRawPointer) -> UInt32 {
    ArmoryModule.export([MatrixFactorization.self], trainers: [ALSTrainer.self], hostABIVersion: hostABIVersion, registrar: registrar)
}
