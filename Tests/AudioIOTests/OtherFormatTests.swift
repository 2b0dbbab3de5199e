import CSndfile
import Foundation
import Testing
@testable import AudioIO

/// Writes `buffer` with libsndfile directly, in a container AudioIO itself does
/// not write, so the decoder can be tested on it.
func writeFixture(_ buffer: AudioBuffer, to path: String, format: Int32) throws {
    var info = SF_INFO()
    info.samplerate = Int32(buffer.sampleRate)
    info.channels = Int32(buffer.channelCount)
    info.format = format
    let file = try #require(sf_open(path, Int32(SFM_WRITE), &info), "\(String(cString: sf_strerror(nil)))")
    var interleaved = [Float](repeating: 0, count: buffer.frameCount * buffer.channelCount)
    for (c, channel) in buffer.channels.enumerated() {
        for (i, sample) in channel.enumerated() { interleaved[i * buffer.channelCount + c] = sample }
    }
    #expect(sf_writef_float(file, interleaved, sf_count_t(buffer.frameCount)) == buffer.frameCount)
    #expect(sf_close(file) == 0)
}

@Suite("Decoding other containers")
struct OtherFormatTests {
    static let formats: [(String, Int32, Int)] = [
        ("aiff", Int32(SF_FORMAT_AIFF | SF_FORMAT_PCM_24), 44_100),
        ("ogg", Int32(SF_FORMAT_OGG | SF_FORMAT_VORBIS), 32_000),
        ("opus", Int32(SF_FORMAT_OGG | SF_FORMAT_OPUS), 48_000),
        ("caf", Int32(SF_FORMAT_CAF | SF_FORMAT_ALAC_16), 96_000),
    ]

    @Test("Other containers decode with their rate, frequency and level", arguments: formats)
    func decodes(fileExtension: String, format: Int32, sampleRate: Int) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let original = sine(frequency: 1000, sampleRate: sampleRate, frames: sampleRate / 2)
        let path = dir.file("song.\(fileExtension)")
        try writeFixture(original, to: path, format: format)

        let decoded = try AudioFile.read(path)

        #expect(decoded.audio.sampleRate == sampleRate)
        #expect(abs(decoded.audio.frameCount - original.frameCount) < sampleRate / 20)
        for channel in decoded.audio.channels {
            let middle = Array(channel[(sampleRate / 10)..<(sampleRate * 2 / 5)])
            #expect(abs(frequency(middle, sampleRate: sampleRate) - 1000) < 2)
            #expect(abs(rms(middle) - rms(original.channels[0])) < 0.02)
        }
    }

    /// On a pipe libsndfile believes the sizes, here 2³¹ frames; a decoder that
    /// allocated from that claim would need gigabytes.
    @Test("A pipe whose header claims 2³¹ frames decodes to its real end")
    func pipeWithLyingLength() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("stream.wav")
        #expect(mkfifo(path, 0o600) == 0)
        let samples = (0..<5000).map { Int16(truncatingIfNeeded: $0 * 13) }
        var wav = WAVBytes.pcm16(samples)
        wav.riffSize = 0xFFFF_FFFF
        wav.dataSize = 0xFFFF_FFFF
        let bytes = wav.bytes
        let writer = Thread {
            FileHandle(forWritingAtPath: path)?.write(Data(bytes))
        }
        writer.start()

        let decoded = try AudioFile.read(path)

        #expect(decoded.audio.channels[0] == samples.map { Float($0) / 32768 })
        #expect(decoded.warnings == ["\(path): ends after 5000 of the 2147483647 frames its header declares"])
    }

    @Test("A FLAC stream of unknown length (SF_COUNT_MAX frames) decodes to its end")
    func flacOfUnknownLength() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let original = sine(frequency: 440, sampleRate: 44_100, frames: 22_050)
        let path = dir.file("stream.flac")
        try AudioFile.write(original, to: path, format: .flac16)
        // STREAMINFO follows "fLaC" and a 4-byte block header; its 36-bit total
        // sample count ends 18 bytes in. Zero means "unknown", as a streaming encoder writes.
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(Array(bytes.prefix(4)) == Array("fLaC".utf8) && bytes[4] & 0x7F == 0)
        bytes[21] &= 0xF0
        bytes.replaceSubrange(22..<26, with: [0, 0, 0, 0])
        try WAVBytes.write(bytes, to: path)

        let decoded = try AudioFile.read(path)

        #expect(decoded.audio.frameCount == original.frameCount)
        #expect(maxDifference(decoded.audio.channels[0], original.channels[0]) <= 1 / 32768)
    }

    @Test("A FLAC file cut in half decodes its first part correctly")
    func truncatedFLAC() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let original = sine(frequency: 440, sampleRate: 44_100, frames: 44_100)
        let path = dir.file("cut.flac")
        try AudioFile.write(original, to: path, format: .flac16)
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        try WAVBytes.write(Array(bytes.prefix(bytes.count / 2)), to: path)

        let decoded = try AudioFile.read(path)
        let frames = decoded.audio.frameCount
        #expect(frames > 10_000 && frames < original.frameCount)
        #expect(decoded.warnings == ["\(path): ends after \(frames) of the 44100 frames its header declares"])
        #expect(maxDifference(decoded.audio.channels[0], Array(original.channels[0].prefix(frames))) <= 1 / 32768)
    }
}
