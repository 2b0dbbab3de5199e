import Foundation
import Synchronization

/// Accumulates wall-clock time per named stage of a separation, and the CPU time the
/// whole process spent meanwhile, for the benchmark's breakdown: their ratio shows how
/// many cores a stage kept busy. Passing none costs nothing; passing one costs two
/// clock reads per stage.
public final class StageClock: Sendable {
    private let totals = Mutex<[String: (wall: Double, cpu: Double)]>([:])

    public init() {}

    /// Runs `body` and adds its duration to `stage`.
    @inline(__always)
    func time<T>(_ stage: String, _ body: () throws -> T) rethrows -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        let startCPU = processCPUSeconds()
        defer {
            add(
                stage, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9,
                cpuSeconds: processCPUSeconds() - startCPU)
        }
        return try body()
    }

    /// Adds `seconds` of wall-clock time and `cpuSeconds` of CPU time to `stage`.
    public func add(_ stage: String, seconds: Double, cpuSeconds: Double = 0) {
        totals.withLock {
            let old = $0[stage] ?? (0, 0)
            $0[stage] = (old.wall + seconds, old.cpu + cpuSeconds)
        }
    }

    /// Wall-clock seconds spent in each stage so far.
    public var seconds: [String: Double] { totals.withLock { $0.mapValues(\.wall) } }

    /// CPU seconds (all threads) spent during each stage so far.
    public var cpuSeconds: [String: Double] { totals.withLock { $0.mapValues(\.cpu) } }
}

/// CPU time used by all threads of the process.
private func processCPUSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9
}
