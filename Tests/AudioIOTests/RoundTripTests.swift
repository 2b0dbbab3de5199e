import Testing
@testable import AudioIO

@Suite("Writing then reading each format")
struct RoundTripTests {
    /// Largest error expected per format, in full-scale units: one quantisation step.
    static let lossless: [(AudioFileFormat, Float)] = [
        (.wav16, 1 / 32768), (.wav24, 1 / 8_388_608), (.wavFloat32, 0),
        (.flac16, 1 / 32768), (.flac24, 1 / 8_388_608),
    ]

    @Test("Lossless formats come back within one quantisation step", arguments: lossless)
    func losslessRoundTrip(format: AudioFileFormat, step: Float) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let original = sine(frequency: 997, amplitude: 0.9, sampleRate: 48_000, frames: 30_000)
        let path = dir.file("stem.\(format.fileExtension)")

        try AudioFile.write(original, to: path, format: format)
        let decoded = try AudioFile.read(path)

        #expect(decoded.audio.sampleRate == 48_000)
        #expect(decoded.sourceChannelCount == 2)
        #expect(decoded.warnings.isEmpty)
        #expect(decoded.audio.frameCount == original.frameCount)
        for c in 0..<2 {
            #expect(maxDifference(decoded.audio.channels[c], original.channels[c]) <= step)
        }
    }

    @Test("MP3 keeps a sine's frequency, level and length")
    func mp3RoundTrip() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let original = sine(frequency: 1000, sampleRate: 44_100, frames: 44_100)
        let path = dir.file("stem.mp3")

        try AudioFile.write(original, to: path, format: .mp3)
        let decoded = try AudioFile.read(path)

        #expect(decoded.audio.sampleRate == 44_100)
        #expect(decoded.warnings.isEmpty)
        #expect(abs(decoded.audio.frameCount - original.frameCount) <= 2304)
        for channel in decoded.audio.channels {
            #expect(abs(frequency(channel, sampleRate: 44_100) - 1000) < 2)
            #expect(abs(rms(channel) - rms(original.channels[0])) < 0.01)
        }
    }

    @Test("Mono is reported as mono and duplicated to two equal channels")
    func monoIsDuplicated() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let mono = sine(frequency: 440, sampleRate: 22_050, frames: 5000, channels: 1)
        let path = dir.file("mono.wav")

        try AudioFile.write(mono, to: path, format: .wavFloat32)
        let decoded = try AudioFile.read(path)

        #expect(decoded.sourceChannelCount == 1)
        #expect(decoded.audio.channelCount == 2)
        #expect(decoded.audio.channels[0] == mono.channels[0])
        #expect(decoded.audio.channels[1] == mono.channels[0])
        #expect(decoded.audio.remixed(toChannelCount: 1) == mono)
    }

    @Test("More than two channels keeps the first two, with a warning")
    func surroundKeepsFrontPair() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let surround = sine(frequency: 440, sampleRate: 48_000, frames: 4800, channels: 6)
        let path = dir.file("surround.wav")

        try AudioFile.write(surround, to: path, format: .wavFloat32)
        let decoded = try AudioFile.read(path)

        #expect(decoded.sourceChannelCount == 6)
        #expect(decoded.audio.channels == Array(surround.channels.prefix(2)))
        #expect(decoded.warnings == ["\(path): 6 channels; kept the first 2"])
    }

    @Test("Files longer than one read block decode completely")
    func multiBlockFile() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let long = sine(frequency: 50, sampleRate: 8000, frames: AudioFile.blockFrames * 2 + 123)
        let path = dir.file("long.flac")

        try AudioFile.write(long, to: path, format: .flac24)
        let decoded = try AudioFile.read(path)

        #expect(decoded.audio.frameCount == long.frameCount)
        #expect(maxDifference(decoded.audio.channels[1], long.channels[1]) <= 1 / 8_388_608)
    }

    @Test("Integer formats saturate samples beyond full scale instead of wrapping")
    func integerFormatsSaturate() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let loud = AudioBuffer(sampleRate: 44_100, channels: [[1.5, -1.5, 0.5], [2, -2, 0]])
        let path = dir.file("loud.wav")

        try AudioFile.write(loud, to: path, format: .wav16)
        let decoded = try AudioFile.read(path).audio

        #expect(decoded.channels[0][0] > 0.999)
        #expect(decoded.channels[0][1] <= -0.999)
        #expect(decoded.channels[1][0] > 0.999)
        #expect(decoded.channels[1][1] <= -0.999)
    }
}
