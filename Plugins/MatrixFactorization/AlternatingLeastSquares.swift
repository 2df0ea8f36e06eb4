import Foundation

/// Implicit-feedback matrix factorization by alternating least squares (Hu, Koren and
/// Volinsky, "Collaborative Filtering for Implicit Feedback Datasets", 2008): minimizes
/// Σ c_ui (p_ui − x_uᵀ y_i)² + λ (Σ‖x_u‖² + Σ‖y_i‖²) over all cells, p_ui = 1 where the user
/// viewed or liked the movie and 0 elsewhere. Each half-step solves every row's normal
/// equations (YᵀY + Yᵀ(C_u − I)Y + λI) x_u = Yᵀ C_u p_u approximately, with a few
/// conjugate-gradient steps started from the row's current factors (Takács, Pilászy and Tikk,
/// 2011), which costs O(nnz·f) per step instead of the O(f³) of a direct solve.
struct AlternatingLeastSquares: Sendable {
    var factors: Int
    var regularization: Float
    var conjugateGradientSteps: Int

    /// Solves every row of `rows` given the other side's factors `fixed` (row-major,
    /// `fixed.count / factors` rows), updating `solved` (row-major, `rows.rowCount` rows) in place.
    func solve(_ rows: ConfidenceMatrix, fixed: [Float], into solved: inout [Float]) {
        let gram = Self.gram(fixed, factors: factors, regularization: regularization)
        let rowCount = rows.rowCount
        // More chunks than cores, so a core that finishes early takes another.
        let chunks = max(1, min(rowCount, ProcessInfo.processInfo.activeProcessorCount * 8))
        let chunk = (rowCount + chunks - 1) / chunks
        let (f, steps) = (factors, conjugateGradientSteps)
        solved.withUnsafeMutableBufferPointer { solvedBuffer in
            fixed.withUnsafeBufferPointer { fixedBuffer in
                gram.withUnsafeBufferPointer { gramBuffer in
                    rows.columns.withUnsafeBufferPointer { columns in
                        rows.confidences.withUnsafeBufferPointer { confidences in
                            let shared = UnsafeSendable((solvedBuffer, fixedBuffer, gramBuffer, columns, confidences))
                            DispatchQueue.concurrentPerform(iterations: chunks) { index in
                                let (solved, fixed, gram, columns, confidences) = shared.value
                                var scratch = Scratch(factors: f)
                                defer { scratch.deallocate() }
                                for row in min(rowCount, index * chunk)..<min(rowCount, (index + 1) * chunk) {
                                    let range = rows.rowStarts[row]..<rows.rowStarts[row + 1]
                                    let x = solved.baseAddress! + row * f
                                    scratch.x.update(from: x, count: f)
                                    Self.solve(&scratch, columns: UnsafeBufferPointer(rebasing: columns[range]),
                                               confidences: UnsafeBufferPointer(rebasing: confidences[range]), fixed: fixed.baseAddress!,
                                               gram: gram.baseAddress!, factors: f, steps: steps)
                                    x.update(from: scratch.x, count: f)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// YᵀY + λI for the row-major `matrix`.
    static func gram(_ matrix: [Float], factors f: Int, regularization: Float) -> [Float] {
        var gram = [Float](repeating: 0, count: f * f)
        let rows = matrix.count / f
        matrix.withUnsafeBufferPointer { m in
            gram.withUnsafeMutableBufferPointer { g in
                for row in 0..<rows {
                    let y = m.baseAddress! + row * f
                    for a in 0..<f where y[a] != 0 {
                        VectorKernels.addScaled(y[a], y, to: g.baseAddress! + a * f, f)
                    }
                }
            }
        }
        for a in 0..<f { gram[a * f + a] += regularization }
        return gram
    }

    /// The vectors one row's solve works in, allocated once per worker.
    struct Scratch {
        let x, r, p, ap: UnsafeMutablePointer<Float>

        init(factors: Int) {
            (x, r, p, ap) = (.allocate(capacity: factors), .allocate(capacity: factors), .allocate(capacity: factors), .allocate(capacity: factors))
            x.initialize(repeating: 0, count: factors)
        }

        func deallocate() {
            for vector in [x, r, p, ap] { vector.deallocate() }
        }
    }

    /// A few conjugate-gradient steps on one row's normal equations, from `scratch.x`; the
    /// answer is left in `scratch.x`. The row's cells are `columns` with their `confidences`.
    static func solve(
        _ scratch: inout Scratch, columns: UnsafeBufferPointer<Int32>, confidences: UnsafeBufferPointer<Float>, fixed: UnsafePointer<Float>,
        gram: UnsafePointer<Float>, factors f: Int, steps: Int
    ) {
        let (x, r, p, ap) = (scratch.x, scratch.r, scratch.p, scratch.ap)
        // r = b − A x, where A = YᵀY + λI + Σ (c − 1) y yᵀ and b = Σ c y.
        VectorKernels.multiply(gram, x, into: r, f, negate: true)
        for cell in 0..<columns.count {
            let y = fixed + Int(columns[cell]) * f
            let confidence = confidences[cell]
            VectorKernels.addScaled(confidence - (confidence - 1) * VectorKernels.dot(y, x, f), y, to: r, f)
        }
        p.update(from: r, count: f)
        var residual = VectorKernels.dot(r, r, f)
        for _ in 0..<steps where residual > 1e-20 {
            VectorKernels.multiply(gram, p, into: ap, f, negate: false)
            for cell in 0..<columns.count {
                let y = fixed + Int(columns[cell]) * f
                VectorKernels.addScaled((confidences[cell] - 1) * VectorKernels.dot(y, p, f), y, to: ap, f)
            }
            let curvature = VectorKernels.dot(p, ap, f)
            guard curvature > 0 else { return }
            let step = residual / curvature
            VectorKernels.addScaled(step, p, to: x, f)
            VectorKernels.addScaled(-step, ap, to: r, f)
            let next = VectorKernels.dot(r, r, f)
            let beta = next / residual
            for k in 0..<f { p[k] = r[k] + beta * p[k] }
            residual = next
        }
    }
}

/// Buffers handed to the workers of one `concurrentPerform`, each writing only its own rows.
struct UnsafeSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
