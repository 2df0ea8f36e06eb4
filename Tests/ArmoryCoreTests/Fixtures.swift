import Foundation
import Testing

/// Reference data made outside Swift (see the generator scripts next to the JSON files).
enum Fixtures {
    static func load<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
        guard let url = Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: "json") else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: name])
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(T.self, from: Data(contentsOf: url))
    }

    struct HashVector: Decodable, Sendable, CustomTestStringConvertible {
        var seed: String
        var unit: String
        var inner: UInt32
        var bucket: Double
        var testDescription: String { "\(seed.debugDescription) + \(unit.debugDescription)" }
    }

    struct Statistics: Decodable, Sendable {
        struct IncompleteBeta: Decodable, Sendable { var x, a, b, value: Double }
        struct BetaQuantile: Decodable, Sendable { var p, a, b, value: Double }
        struct UpperGamma: Decodable, Sendable { var s, x, value: Double }
        struct NormalQuantile: Decodable, Sendable { var p, value: Double }
        struct SRM: Decodable, Sendable { var observed: [Int]; var weights: [Double]; var chiSquare, pValue: Double }
        struct BestBeta: Decodable, Sendable { var shapes: [[Double]]; var probabilityBest, expectedLoss: [Double] }
        struct BestNormal: Decodable, Sendable { var parameters: [[Double]]; var probabilityBest, expectedLoss: [Double] }

        var incompleteBeta: [IncompleteBeta]
        var betaQuantile: [BetaQuantile]
        var upperIncompleteGamma: [UpperGamma]
        var normalQuantile: [NormalQuantile]
        var srm: [SRM]
        var probabilityBestBeta: [BestBeta]
        var probabilityBestNormal: [BestNormal]
    }

    static let statistics: Statistics = try! load("statistics-references", as: Statistics.self)
    static let hashVectors: [HashVector] = try! load("hash-vectors", as: [HashVector].self)
}
