import ArmoryKit
import Foundation

/// Trains ``MatrixFactorization``'s models: implicit-feedback alternating least squares over
/// every view and like (``AlternatingLeastSquares``).
public struct ALSTrainer: Trainer {
    public static let descriptor = TrainerDescriptor(
        name: "als",
        version: "1.0.0",
        summary: "Implicit-feedback matrix factorization by alternating least squares (Hu, Koren and Volinsky 2008)",
        parameters: [
            ParameterSpec(name: "factors", type: .integer, defaultValue: .integer(64), minimum: 1, maximum: 512,
                          summary: "Length of each user's and movie's factor vector"),
            ParameterSpec(name: "regularization", type: .number, defaultValue: .number(0.05), minimum: 0, maximum: 1_000,
                          summary: "λ, the weight of the factors' squared norms"),
            ParameterSpec(name: "iterations", type: .integer, defaultValue: .integer(15), minimum: 1, maximum: 500,
                          summary: "Alternations (each solves every user, then every movie)"),
            ParameterSpec(name: "alpha", type: .number, defaultValue: .number(10), minimum: 0, maximum: 10_000,
                          summary: "Confidence per view: c = 1 + alpha × (views + like_weight × likes)"),
            ParameterSpec(name: "like_weight", type: .number, defaultValue: .number(2), minimum: 0, maximum: 1_000,
                          summary: "How many views a like counts as"),
            ParameterSpec(name: "cg_steps", type: .integer, defaultValue: .integer(3), minimum: 1, maximum: 64,
                          summary: "Conjugate-gradient steps per row and half-iteration"),
            ParameterSpec(name: "seed", type: .integer, defaultValue: .integer(1), minimum: 0,
                          summary: "Seed of the initial factors: the same data and seed give the same model"),
        ],
        servedBy: MatrixFactorization.descriptor.name
    )

    let solver: AlternatingLeastSquares
    let iterations: Int
    let alpha: Float
    let likeWeight: Float
    let seed: UInt64

    public init(parameters: Parameters) throws {
        solver = AlternatingLeastSquares(
            factors: try parameters.integer("factors"), regularization: Float(try parameters.number("regularization")),
            conjugateGradientSteps: try parameters.integer("cg_steps")
        )
        iterations = try parameters.integer("iterations")
        alpha = Float(try parameters.number("alpha"))
        likeWeight = Float(try parameters.number("like_weight"))
        seed = UInt64(try parameters.integer("seed"))
    }

    public func train(_ data: TrainingData, progress: TrainingProgress) async throws -> Data {
        let users = data.userIDs.count
        let movies = data.catalog.movies.count
        guard users > 0, movies > 0, !data.interactions.isEmpty else {
            throw AlgorithmError("nothing to train on: the store has no views or likes")
        }
        progress(0, "building the confidence matrix")
        let byUser = ConfidenceMatrix(rows: users, entries: data.interactions.map {
            (row: $0.user, column: $0.movie, weight: $0.isLike ? likeWeight : 1)
        }, alpha: alpha)
        let byMovie = byUser.transposed(columnCount: movies)
        var userFactors = initialFactors(rows: users, stream: 1)
        var movieFactors = initialFactors(rows: movies, stream: 2)
        for iteration in 0..<iterations {
            try Task.checkCancellation()
            solver.solve(byUser, fixed: movieFactors, into: &userFactors)
            progress((Double(iteration) + 0.5) / Double(iterations), "iteration \(iteration + 1) of \(iterations)")
            solver.solve(byMovie, fixed: userFactors, into: &movieFactors)
            progress(Double(iteration + 1) / Double(iterations), "iteration \(iteration + 1) of \(iterations)")
        }
        return FactorModel(
            factors: solver.factors, regularization: solver.regularization, alpha: alpha, likeWeight: likeWeight, movieIDs: data.catalog.movies.map(\.id), movieFactors: movieFactors,
            userIDs: data.userIDs, userFactors: userFactors
        ).encoded()
    }

    /// Small random factors (uniform in [0, 0.01)), from the seed, so training is repeatable.
    private func initialFactors(rows: Int, stream: UInt64) -> [Float] {
        var generator = SplitMix64(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ stream)
        return (0..<rows * solver.factors).map { _ in Float(generator.next() >> 40) / Float(1 << 24) * 0.01 }
    }
}
