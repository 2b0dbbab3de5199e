import Foundation
@testable import AudioIO

/// A fresh directory under the system temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("audioio-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { "\(path)/\(name)" }

    func contents() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// `channels` copies of a sine at `frequency` Hz (channel c is phase-shifted by c radians).
func sine(
    frequency: Double, amplitude: Float = 0.5, sampleRate: Int, frames: Int, channels: Int = 2
) -> AudioBuffer {
    AudioBuffer(
        sampleRate: sampleRate,
        channels: (0..<channels).map { c in
            (0..<frames).map { i in
                amplitude * Float(sin(2 * Double.pi * frequency * Double(i) / Double(sampleRate) + Double(c)))
            }
        })
}

/// `audio` cut into blocks of `frames` frames (the last shorter).
func blocks(of audio: AudioBuffer, frames: Int) -> [AudioBuffer] {
    stride(from: 0, to: audio.frameCount, by: frames).map { start in
        let end = min(start + frames, audio.frameCount)
        return AudioBuffer(sampleRate: audio.sampleRate, channels: audio.channels.map { Array($0[start..<end]) })
    }
}

func rms(_ samples: some Collection<Float>) -> Float {
    (samples.reduce(0) { $0 + $1 * $1 } / Float(samples.count)).squareRoot()
}

/// Frequency from rising zero crossings, measured between the first and last crossing.
func frequency(_ samples: [Float], sampleRate: Int) -> Double {
    var crossings: [Int] = []
    for i in 1..<samples.count where samples[i - 1] < 0 && samples[i] >= 0 {
        crossings.append(i)
    }
    guard let first = crossings.first, let last = crossings.last, last > first else { return 0 }
    return Double(crossings.count - 1) * Double(sampleRate) / Double(last - first)
}

func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

/// A RIFF/WAVE file assembled byte by byte, with every header field open to lies.
struct WAVBytes {
    var formatTag: UInt16 = 1
    var channels: UInt16 = 1
    var sampleRate: UInt32 = 44_100
    var bitsPerSample: UInt16 = 16
    var payload: [UInt8] = []
    /// Overrides for the RIFF and data chunk sizes; by default they are correct.
    var riffSize: UInt32?
    var dataSize: UInt32?

    static func pcm16(_ samples: [Int16], channels: UInt16 = 1, sampleRate: UInt32 = 44_100) -> WAVBytes {
        WAVBytes(
            channels: channels, sampleRate: sampleRate,
            payload: samples.flatMap { little(UInt16(bitPattern: $0)) })
    }

    static func float32(_ samples: [Float], channels: UInt16 = 1) -> WAVBytes {
        WAVBytes(
            formatTag: 3, channels: channels, bitsPerSample: 32,
            payload: samples.flatMap { little($0.bitPattern) })
    }

    var bytes: [UInt8] {
        let blockAlign = UInt32(channels) * UInt32(bitsPerSample / 8)
        var out: [UInt8] = Array("RIFF".utf8)
        out += Self.little(riffSize ?? UInt32(36 + payload.count))
        out += Array("WAVEfmt ".utf8)
        out += Self.little(UInt32(16))
        out += Self.little(formatTag) + Self.little(channels)
        out += Self.little(sampleRate) + Self.little(sampleRate &* blockAlign)
        out += Self.little(UInt16(truncatingIfNeeded: blockAlign)) + Self.little(bitsPerSample)
        out += Array("data".utf8) + Self.little(dataSize ?? UInt32(payload.count))
        return out + payload
    }

    static func little<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian, Array.init)
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }
}
