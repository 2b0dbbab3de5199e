import Foundation

/// Separation progress on standard error: a redrawn bar with percent, speed as a
/// multiple of real time and the time left when stderr is a terminal; plain log lines
/// every tenth otherwise.
final class ProgressReporter {
    private let label: String
    private let isTerminal = isatty(STDERR_FILENO) != 0
    private var lastDecile = -1

    init(label: String) {
        self.label = label
    }

    func update(fraction: Double, audioSeconds: Double, elapsed: Double) {
        let speed = elapsed > 0 ? fraction * audioSeconds / elapsed : 0
        if isTerminal {
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: " ", count: width - filled)
            let remaining = speed > 0 ? (1 - fraction) * audioSeconds / speed : 0
            writeStandardError(
                String(format: "\r%@ %3d%% ▕%@▏ %.2f× real time, ETA %@ ", label, Int(fraction * 100), bar, speed,
                       formatDuration(remaining)))
        } else {
            let decile = Int(fraction * 10)
            guard decile > lastDecile else { return }
            lastDecile = decile
            writeStandardError(String(format: "%@: %d%% (%.2f× real time)\n", label, decile * 10, speed))
        }
    }

    func finish(audioSeconds: Double, elapsed: Double) {
        let speed = elapsed > 0 ? audioSeconds / elapsed : 0
        if isTerminal { writeStandardError("\r\u{1B}[K") }
        writeStandardError(String(format: "%@: separated %@ of audio in %.1f s (%.2f× real time)\n", label,
                      formatDuration(audioSeconds), elapsed, speed))
    }
}

/// `m:ss` for a duration in seconds.
func formatDuration(_ seconds: Double) -> String {
    let total = Int(seconds.rounded())
    return String(format: "%d:%02d", total / 60, total % 60)
}
