import CBLAS
import Synchronization

/// Row-major single-precision matrix product `C = alpha·op(A)·op(B) + beta·C`.
///
/// Every convolution, linear layer and attention product funnels through here, so
/// the whole network runs at BLAS speed. The corresponding C function is `cblas_sgemm`.
@inline(__always)
func gemm(
    transposeA: Bool = false, transposeB: Bool = false,
    m: Int, n: Int, k: Int,
    alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0,
    c: UnsafeMutablePointer<Float>, ldc: Int
) {
    gemmFlopCount.add(2 * m * n * k, ordering: .relaxed)
    cblas_sgemm(
        CblasRowMajor,
        transposeA ? CblasTrans : CblasNoTrans,
        transposeB ? CblasTrans : CblasNoTrans,
        Int32(m), Int32(n), Int32(k),
        alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// Sets how many threads OpenBLAS uses for each product.
/// The corresponding C function is `openblas_set_num_threads`.
public func setBLASThreadCount(_ count: Int) {
    openblas_set_num_threads(Int32(count))
}
