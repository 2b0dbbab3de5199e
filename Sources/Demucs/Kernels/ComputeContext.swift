import Dispatch
import Foundation
import Synchronization

/// How the engine computes: how many threads its kernels spread over, what it counts,
/// and where it times each stage. Passed explicitly to `HTDemucs` and `Separator`, so
/// that two separations in one process (a batch job beside the player's) can use
/// different settings and keep separate counts.
public final class ComputeContext: Sendable {
    /// Threads for the matrix products and the element-wise kernels.
    public let threads: Int
    /// Accumulates the time of each stage when given (the benchmark's breakdown).
    public let clock: StageClock?
    private let flops = Atomic<Int>(0)
    private let issued = Atomic<Int>(0)

    /// `threads` defaults to every core the process may use.
    public init(threads: Int? = nil, clock: StageClock? = nil) {
        self.threads = max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount)
        self.clock = clock
    }

    /// Floating-point operations of the model's matrix products under this context, in
    /// direct form: those issued to `cblas_sgemm` (2·m·n·k per call), the attention
    /// kernel's two products per head, and a Winograd convolution as the direct product it
    /// replaces. A property of the model and input, whatever algorithms compute it.
    public var gemmFlops: Int { flops.load(ordering: .relaxed) }

    /// The floating-point operations the products actually issued: fewer than `gemmFlops`
    /// by what Winograd convolutions save.
    public var issuedGemmFlops: Int { issued.load(ordering: .relaxed) }

    /// Counts `count` flops of the model's products, of which `issued` (all, by default)
    /// were computed as such.
    func countGemm(flops count: Int, issued issuedCount: Int? = nil) {
        flops.add(count, ordering: .relaxed)
        issued.add(issuedCount ?? count, ordering: .relaxed)
    }

    /// Splits `0..<count` into up to sixteen contiguous ranges per thread (fewer when the
    /// work is small) and runs `body` on them concurrently: each thread takes the next range
    /// when it is done, so a core slowed by the host or the player does not hold the rest,
    /// and a few large items (convolution tiles, attention blocks) still split evenly.
    ///
    /// Everything between matrix products (softmax, GELU, norms, im2col) goes through
    /// here, so that no core idles while another works.
    func parallelFor(_ count: Int, minimumChunk: Int = 4096, _ body: @Sendable (Range<Int>) -> Void) {
        let chunks = min(16 * threads, max(1, count / max(minimumChunk, 1)))
        if chunks <= 1 {
            body(0..<count)
            return
        }
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let start = count * chunk / chunks
            let end = count * (chunk + 1) / chunks
            body(start..<end)
        }
    }

    /// Runs `body`, adding its duration to `stage` when there is a clock.
    @inline(__always)
    func timed<T>(_ stage: String, _ body: () throws -> T) rethrows -> T {
        guard let clock else { return try body() }
        return try clock.time(stage, body)
    }
}
