import Foundation
import Synchronization

/// Accumulates wall-clock time per named stage of a separation, for the benchmark's
/// breakdown. Passing none costs nothing; passing one costs a clock read per stage.
public final class StageClock: Sendable {
    private let totals = Mutex<[String: Double]>([:])

    public init() {}

    /// Runs `body` and adds its duration to `stage`.
    @inline(__always)
    func time<T>(_ stage: String, _ body: () throws -> T) rethrows -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { add(stage, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9) }
        return try body()
    }

    /// Adds `seconds` to `stage`.
    public func add(_ stage: String, seconds: Double) {
        totals.withLock { $0[stage, default: 0] += seconds }
    }

    /// Seconds spent in each stage so far.
    public var seconds: [String: Double] { totals.withLock { $0 } }
}

/// Optional timing: `body` alone when there is no clock.
@inline(__always)
func timed<T>(_ clock: StageClock?, _ stage: String, _ body: () throws -> T) rethrows -> T {
    guard let clock else { return try body() }
    return try clock.time(stage, body)
}

/// Floating-point operations issued to `cblas_sgemm` (2·m·n·k per call) since launch.
public let gemmFlopCount = Atomic<Int>(0)
