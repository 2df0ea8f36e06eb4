/// The few vector loops training and serving spend their time in, written with SIMD types:
/// the compiler may not reorder a floating-point sum by itself, so a plain loop adds one
/// product at a time, where these keep sixteen partial sums in flight.
enum VectorKernels {
    @inline(__always)
    static func load(_ pointer: UnsafePointer<Float>) -> SIMD4<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD4<Float>.self)
    }

    @inline(__always)
    static func store(_ value: SIMD4<Float>, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD4<Float>.self)
    }

    /// Σ a[k] b[k] for k < n.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var first = SIMD4<Float>()
        var second = SIMD4<Float>()
        var third = SIMD4<Float>()
        var fourth = SIMD4<Float>()
        var k = 0
        while k + 16 <= n {
            first += load(a + k) * load(b + k)
            second += load(a + k + 4) * load(b + k + 4)
            third += load(a + k + 8) * load(b + k + 8)
            fourth += load(a + k + 12) * load(b + k + 12)
            k += 16
        }
        while k + 4 <= n {
            first += load(a + k) * load(b + k)
            k += 4
        }
        var sum = ((first + second) + (third + fourth)).sum()
        while k < n {
            sum += a[k] * b[k]
            k += 1
        }
        return sum
    }

    /// y[k] += alpha x[k] for k < n.
    @inline(__always)
    static func addScaled(_ alpha: Float, _ x: UnsafePointer<Float>, to y: UnsafeMutablePointer<Float>, _ n: Int) {
        let scale = SIMD4<Float>(repeating: alpha)
        var k = 0
        while k + 4 <= n {
            store(load(y + k) + scale * load(x + k), y + k)
            k += 4
        }
        while k < n {
            y[k] += alpha * x[k]
            k += 1
        }
    }

    /// result = (negate ? −1 : 1) × square × vector, for an n × n row-major `square`.
    @inline(__always)
    static func multiply(
        _ square: UnsafePointer<Float>, _ vector: UnsafePointer<Float>, into result: UnsafeMutablePointer<Float>, _ n: Int, negate: Bool
    ) {
        for row in 0..<n {
            let value = dot(square + row * n, vector, n)
            result[row] = negate ? -value : value
        }
    }
}
