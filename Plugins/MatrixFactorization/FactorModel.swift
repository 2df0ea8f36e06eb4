import ArmoryKit
import Foundation

/// A trained factor model as its artifact stores it: each movie's and each known user's factor
/// vector, and the regularization and confidences it was trained with (which folding in a user
/// the model has not seen needs).
///
/// Layout, little-endian: the magic `ARMF`, format version (UInt32, 1), factors, movies, users
/// (UInt32 each), regularization, alpha and like weight (Float32 each), movie ids (Int64 × movies), movie factors
/// (Float32 × movies × factors), user ids (UInt32 length + UTF-8 each), user factors
/// (Float32 × users × factors).
struct FactorModel: Sendable {
    static let magic: [UInt8] = Array("ARMF".utf8)
    static let formatVersion: UInt32 = 1

    var factors: Int
    var regularization: Float
    /// Confidence per view: c = 1 + alpha × (views + likeWeight × likes).
    var alpha: Float
    var likeWeight: Float
    /// Movie ids, in the order of ``movieFactors``' rows.
    var movieIDs: [Int]
    /// Row-major, `movieIDs.count × factors`.
    var movieFactors: [Float]
    /// User ids, in the order of ``userFactors``' rows.
    var userIDs: [String]
    /// Row-major, `userIDs.count × factors`.
    var userFactors: [Float]

    /// The artifact's bytes.
    func encoded() -> Data {
        var data = Data(Self.magic)
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
        func append(floats: [Float]) {
            for value in floats { append(value.bitPattern) }
        }
        append(Self.formatVersion)
        append(UInt32(factors))
        append(UInt32(movieIDs.count))
        append(UInt32(userIDs.count))
        append(regularization.bitPattern)
        append(alpha.bitPattern)
        append(likeWeight.bitPattern)
        for id in movieIDs { append(Int64(id)) }
        append(floats: movieFactors)
        for id in userIDs {
            let bytes = Array(id.utf8)
            append(UInt32(bytes.count))
            data.append(contentsOf: bytes)
        }
        append(floats: userFactors)
        return data
    }

    /// The model in `data`; throws ``AlgorithmError`` naming what is wrong with it.
    init(decoding data: Data) throws {
        var reader = ByteReader(bytes: [UInt8](data))
        guard reader.take(4).map(Array.init) == Self.magic else { throw AlgorithmError("not a matrix-factorization model (no ARMF header)") }
        let version = try reader.uint32()
        guard version == Self.formatVersion else {
            throw AlgorithmError("matrix-factorization model format \(version) is not supported (this module reads \(Self.formatVersion))")
        }
        factors = Int(try reader.uint32())
        let movies = Int(try reader.uint32())
        let users = Int(try reader.uint32())
        regularization = Float(bitPattern: try reader.uint32())
        alpha = Float(bitPattern: try reader.uint32())
        likeWeight = Float(bitPattern: try reader.uint32())
        guard factors > 0, factors <= 1_024 else { throw AlgorithmError("matrix-factorization model has \(factors) factors") }
        // Every count is checked against the bytes left before anything is allocated for it:
        // a header that claims more than the artifact holds is refused, not trusted.
        try reader.require(movies, bytesEach: 8 + 4 * factors, what: "movies")
        movieIDs = try (0..<movies).map { _ in Int(Int64(bitPattern: try reader.uint64())) }
        movieFactors = try reader.floats(movies * factors)
        // Each user takes at least its length and its factors.
        try reader.require(users, bytesEach: 4 + 4 * factors, what: "users")
        userIDs = try (0..<users).map { _ in
            let length = Int(try reader.uint32())
            guard let bytes = reader.take(length) else { throw AlgorithmError("matrix-factorization model is truncated") }
            return String(decoding: bytes, as: UTF8.self)
        }
        userFactors = try reader.floats(users * factors)
        guard reader.isAtEnd else { throw AlgorithmError("matrix-factorization model has trailing bytes") }
    }

    init(
        factors: Int, regularization: Float, alpha: Float, likeWeight: Float, movieIDs: [Int], movieFactors: [Float], userIDs: [String],
        userFactors: [Float]
    ) {
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.likeWeight = likeWeight
        self.movieIDs = movieIDs
        self.movieFactors = movieFactors
        self.userIDs = userIDs
        self.userFactors = userFactors
    }
}

/// Reads little-endian values from bytes, refusing to read past the end.
private struct ByteReader {
    let bytes: [UInt8]
    var offset = 0

    var isAtEnd: Bool { offset == bytes.count }

    /// Throws unless `count` items of at least `bytesEach` bytes can still follow.
    func require(_ count: Int, bytesEach: Int, what: String) throws {
        let (needed, overflow) = count.multipliedReportingOverflow(by: bytesEach)
        guard !overflow, needed <= bytes.count - offset else {
            throw AlgorithmError("matrix-factorization model is truncated: its header claims \(count) \(what), more than its \(bytes.count) bytes hold")
        }
    }

    mutating func take(_ count: Int) -> ArraySlice<UInt8>? {
        guard count >= 0, bytes.count - offset >= count else { return nil }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    mutating func uint32() throws -> UInt32 {
        guard let slice = take(4) else { throw AlgorithmError("matrix-factorization model is truncated") }
        return slice.reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func uint64() throws -> UInt64 {
        guard let slice = take(8) else { throw AlgorithmError("matrix-factorization model is truncated") }
        return slice.reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    mutating func floats(_ count: Int) throws -> [Float] {
        guard count >= 0, bytes.count - offset >= count * 4 else { throw AlgorithmError("matrix-factorization model is truncated") }
        var result = [Float](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            result.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[offset..<offset + count * 4])) }
        }
        offset += count * 4
        // The file is little-endian; so is every machine Armory runs on, but say so where it matters.
        if UInt32(1).littleEndian != 1 { result = result.map { Float(bitPattern: $0.bitPattern.byteSwapped) } }
        return result
    }
}
