import CBLAS

#if canImport(Glibc)
import Glibc
#endif

/// The process-wide settings the engine is measured with, applied once by the
/// application at launch (not as a side effect of building a model): they change the
/// whole process's allocator and BLAS, which only the application may decide.
public enum EngineProcess {
    /// Applies the settings; later calls do nothing. Without them results are the
    /// same, only slower and larger.
    public static func configure() { _ = applied }

    private static let applied: Void = {
        reuseLargeBuffers()
        // The engine splits large products over the cores itself: OpenBLAS's own
        // workers would spin-yield between products while the element-wise code runs
        // (a quarter of the CPU time, measured), and a fixed split keeps results
        // independent of what other threads are doing.
        openblas_set_num_threads(1)
    }()
}

/// Keeps large buffers in one heap instead of fresh `mmap`s: glibc maps every block over
/// its (adaptive, at most 32 MB) threshold afresh and unmaps it on free, so each of the
/// tens of activations per segment paid page faults and kernel zeroing (about a sixth of
/// the CPU time, measured with `perf`). Freed blocks are now reused by the next segment.
/// One arena for all threads: the kernels' worker threads would otherwise each grow an
/// arena of their own that the others cannot reuse (peak RSS +36 MB on 60 s, measured).
private func reuseLargeBuffers() {
    #if canImport(Glibc)
    // `mallopt` is in <malloc.h>, which the Glibc module leaves out; the option numbers
    // are glibc's stable M_TRIM_THRESHOLD (-1), M_MMAP_THRESHOLD (-3) and M_ARENA_MAX (-8).
    typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
    guard let symbol = dlsym(nil, "mallopt") else { return }
    let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
    _ = mallopt(-3, 1 << 30)
    _ = mallopt(-1, 1 << 28)
    _ = mallopt(-8, 1)
    #endif
}
