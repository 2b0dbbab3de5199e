import DemixerCore
import Foundation

/// Progress on standard error: a redrawn bar with percent and a detail (speed, ETA,
/// file) when stderr is a terminal; plain log lines every tenth otherwise.
final class ProgressReporter: Sendable {
    private let label: String
    private let isTerminal = isatty(STDERR_FILENO) != 0
    private let lastDecile = Guarded(-1)

    init(label: String) {
        self.label = label
    }

    func update(fraction: Double, detail: String) {
        let fraction = min(max(fraction, 0), 1)
        if isTerminal {
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: " ", count: width - filled)
            writeStandardError("\r\(label) \(String(format: "%3d%%", Int(fraction * 100))) ▕\(bar)▏ \(detail) ")
        } else {
            let decile = Int(fraction * 10)
            let isNew = lastDecile.withLock { last in
                defer { last = max(last, decile) }
                return decile > last
            }
            if isNew { writeStandardError("\(label): \(decile * 10)% (\(detail))\n") }
        }
    }

    /// Separation progress: speed as a multiple of real time and the time left, the speed
    /// counted from `start` (a report seen earlier: a resumed run's first).
    func update(fraction: Double, audioSeconds: Double, elapsed: Double, since start: (fraction: Double, elapsed: Double) = (0, 0)) {
        let seconds = elapsed - start.elapsed
        let speed = seconds > 0 ? (fraction - start.fraction) * audioSeconds / seconds : 0
        let remaining = speed > 0 ? (1 - fraction) * audioSeconds / speed : 0
        update(fraction: fraction, detail: String(format: "%.2f× real time, ETA %@", speed, formatDuration(remaining)))
    }

    /// Removes the bar from the terminal.
    func clear() {
        if isTerminal { writeStandardError("\r\u{1B}[K") }
    }

    func finish(audioSeconds: Double, elapsed: Double) {
        clear()
        let speed = elapsed > 0 ? audioSeconds / elapsed : 0
        writeStandardError(String(format: "%@: separated %@ of audio in %.1f s (%.2f× real time)\n", label,
                                  formatDuration(audioSeconds), elapsed, speed))
    }
}

/// `m:ss` for a duration in seconds.
func formatDuration(_ seconds: Double) -> String {
    let total = Int(seconds.rounded())
    return String(format: "%d:%02d", total / 60, total % 60)
}
