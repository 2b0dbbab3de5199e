import Foundation
@testable import AudioIO

/// Runs the `ffmpeg` command (quiet, overwriting); throws with its exit status on failure.
func ffmpeg(_ arguments: [String]) throws {
    try run("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y"] + arguments)
}

/// Runs `program` from the PATH and returns its standard output; throws when it fails.
@discardableResult
func run(_ program: String, _ arguments: [String]) throws -> Data {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [program] + arguments
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw CommandFailed(command: ([program] + arguments).joined(separator: " "), status: process.terminationStatus)
    }
    return data
}

struct CommandFailed: Error, CustomStringConvertible {
    let command: String
    let status: Int32
    var description: String { "\(command) exited with \(status)" }
}

/// Two seconds of a stereo chord at 44.1 kHz, the same song in every format test.
let testSong: AudioBuffer = {
    let rate = 44_100
    let chord = [220.0, 277.2, 329.6, 440.0]
    return AudioBuffer(
        sampleRate: rate,
        channels: (0..<2).map { c in
            (0..<(2 * rate)).map { i in
                let t = Double(i) / Double(rate)
                return Float(chord.enumerated().reduce(0) { sum, note in
                    sum + 0.15 * sin(2 * Double.pi * note.element * t + Double(c + note.offset))
                })
            }
        })
}()

/// Signal-to-noise ratio in dB of `decoded` against `reference`, over their common length.
func snr(_ decoded: [Float], against reference: [Float]) -> Double {
    var signal = 0.0
    var noise = 0.0
    for (d, r) in zip(decoded, reference) {
        signal += Double(r) * Double(r)
        noise += Double(d - r) * Double(d - r)
    }
    return 10 * log10(signal / max(noise, 1e-20))
}
