import Dispatch
import Foundation
import Synchronization

/// Threads used by the kernels; all cores unless set.
private let computeThreadCount = Atomic<Int>(max(1, ProcessInfo.processInfo.activeProcessorCount))

/// Threads used by the kernels.
var computeThreads: Int { computeThreadCount.load(ordering: .relaxed) }

/// Sets how many threads separation uses (matrix products and element-wise kernels);
/// all cores unless set.
public func setComputeThreadCount(_ count: Int) {
    computeThreadCount.store(max(1, count), ordering: .relaxed)
}

/// Splits `0..<count` into one contiguous range per compute thread (fewer when the work
/// is small) and runs `body` on them concurrently.
///
/// Everything between matrix products (softmax, GELU, norms, im2col) goes through
/// here, so that no core idles while another works.
func parallelFor(_ count: Int, minimumChunk: Int = 4096, _ body: @Sendable (Range<Int>) -> Void) {
    let chunks = min(computeThreads, max(1, count / max(minimumChunk, 1)))
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
