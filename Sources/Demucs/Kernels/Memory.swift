#if canImport(Glibc)
import Glibc
#endif

/// Keeps large buffers in one heap instead of fresh `mmap`s: glibc maps every block over
/// its (adaptive, at most 32 MB) threshold afresh and unmaps it on free, so each of the
/// tens of activations per segment paid page faults and kernel zeroing (about a sixth of
/// the CPU time, measured with `perf`). Freed blocks are now reused by the next segment.
/// One arena for all threads: the kernels' worker threads would otherwise each grow an
/// arena of their own that the others cannot reuse (peak RSS +36 MB on 60 s, measured).
/// Process-wide; set once, when the first model is built.
let largeBuffersReused: Void = {
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
}()
