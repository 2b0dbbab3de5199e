import CBLAS
import Dispatch
import Synchronization

/// The OpenBLAS kernel family the products run on ("Haswell", "SkylakeX", …), which
/// OpenBLAS picks at load from the CPU or from `OPENBLAS_CORETYPE`; for benchmark reports.
public var matrixKernelName: String {
    String(cString: openblas_get_corename())
}

/// Products below this many flops run on the calling thread alone.
private let splitThreshold = 1 << 24

extension ComputeContext {
    /// Row-major single-precision matrix product `C = alpha·op(A)·op(B) + beta·C`, spread
    /// over the compute threads by slabs of C when it is large enough.
    ///
    /// Every convolution, linear layer and attention product funnels through here. The
    /// split depends only on the shape and the thread count, so results are reproducible.
    func gemm(
        transposeA: Bool = false, transposeB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard threads > 1, 2 * m * n * k >= splitThreshold, max(m, n) >= 32 * threads else {
            return serialGemm(
                transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        }
        let (a, b, c) = (SendablePointer(a), SendablePointer(b), SendablePointer(c))
        let splitColumns = n >= m
        let extent = splitColumns ? n : m
        DispatchQueue.concurrentPerform(iterations: threads) { part in
            // Slab edges on multiples of 16, the micro-kernels' width.
            let lo = (extent * part / threads) & ~15
            let hi = part == threads - 1 ? extent : (extent * (part + 1) / threads) & ~15
            guard lo < hi else { return }
            if splitColumns {
                serialGemm(
                    transposeA: transposeA, transposeB: transposeB, m: m, n: hi - lo, k: k, alpha: alpha,
                    a: a.pointer, lda: lda, b: b.pointer + (transposeB ? lo * ldb : lo), ldb: ldb,
                    beta: beta, c: c.pointer + lo, ldc: ldc)
            } else {
                serialGemm(
                    transposeA: transposeA, transposeB: transposeB, m: hi - lo, n: n, k: k, alpha: alpha,
                    a: a.pointer + (transposeA ? lo : lo * lda), lda: lda, b: b.pointer, ldb: ldb,
                    beta: beta, c: c.pointer + lo * ldc, ldc: ldc)
            }
        }
    }

    /// `gemm` on the calling thread only, for work already spread over the cores.
    /// The corresponding C function is `cblas_sgemm`.
    @inline(__always)
    func serialGemm(
        transposeA: Bool = false, transposeB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        countGemm(flops: 2 * m * n * k)
        cblas_sgemm(
            CblasRowMajor,
            transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k),
            alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

}

/// What `measureSquareGemmRate` found: the fastest of several identical square products.
public struct SquareGemmRate: Sendable {
    /// Rows, columns and inner dimension of the product.
    public let size: Int
    public let threads: Int
    /// Products timed; the fastest counts.
    public let repetitions: Int
    /// Floating-point operations one product issued, as `ComputeContext.gemmFlops` counts them.
    public let flopsPerProduct: Int
    /// Wall-clock seconds of the fastest repetition.
    public let bestSeconds: Double

    /// Floating-point operations per second of the fastest repetition.
    public var flopsPerSecond: Double { Double(flopsPerProduct) / bestSeconds }
}

/// Times a `size`×`size`×`size` single-precision product through the engine's own
/// `gemm` (the same split over `threads`, the same OpenBLAS kernels), best of
/// `repetitions`.
///
/// The rate a large square product reaches is what the engine's products could reach at
/// best, so the benchmark divides its GEMM work by it to get a floor for the separation.
/// The product counts under a context of its own, not under any separation's.
public func measureSquareGemmRate(size: Int = 2048, threads: Int, repetitions: Int = 5) -> SquareGemmRate {
    precondition(size > 0 && repetitions > 0, "a square product needs a positive size and repetitions")
    let context = ComputeContext(threads: threads)
    // Values of a few hundredths: no overflow and no subnormals in the sums.
    let a = (0..<size * size).map { Float($0 % 13) * 0.01 }
    let b = (0..<size * size).map { Float($0 % 7) * 0.02 }
    var c = [Float](repeating: 0, count: size * size)
    var best = Double.infinity
    let clock = ContinuousClock()
    for _ in 0..<repetitions {
        let elapsed = clock.measure {
            c.withUnsafeMutableBufferPointer { c in
                context.gemm(
                    m: size, n: size, k: size, a: a, lda: size, b: b, ldb: size, c: c.baseAddress!, ldc: size)
            }
        }
        best = min(best, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    }
    return SquareGemmRate(
        size: size, threads: context.threads, repetitions: repetitions, flopsPerProduct: context.gemmFlops / repetitions, bestSeconds: best)
}

/// A pointer handed to the workers of `parallelFor` or of a split product, each
/// touching its own part of the buffer.
struct SendablePointer<Pointee>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Pointee>
    init(_ pointer: UnsafeMutablePointer<Pointee>) { self.pointer = pointer }
    init(_ pointer: UnsafePointer<Pointee>) { self.pointer = UnsafeMutablePointer(mutating: pointer) }
}
