import Foundation
import Testing
@testable import AudioIO

/// A 150,000-frame stereo chord (more than two of libsndfile's read blocks) written as WAV,
/// and the same encoded by ffmpeg, so that both back ends are read.
private func songFile(_ name: String, in dir: TemporaryDirectory) throws -> String {
    let song = AudioBuffer(
        sampleRate: 44_100,
        channels: (0..<2).map { c in (0..<150_000).map { Float(0.4 * sin(Double($0) * 0.01 * Double(c + 1))) } })
    let wav = dir.file("song.wav")
    try AudioFile.write(song, to: wav, format: .wav16)
    guard name != "song.wav" else { return wav }
    let path = dir.file(name)
    try ffmpeg(["-i", wav, path])
    return path
}

/// Every block `decode` delivers, joined, with its summary.
private func streamed(_ path: String) throws -> (audio: AudioBuffer, summary: DecodeSummary, blocks: Int) {
    var joined = AudioBuffer(sampleRate: 0, channels: [])
    var blocks = 0
    let summary = try AudioFile.decode(path) { block in
        #expect(block.channelCount == 2)
        joined.append(block)
        blocks += 1
    }
    return (AudioBuffer(sampleRate: summary.sampleRate, channels: joined.channels), summary, blocks)
}

@Suite("Decoding block by block")
struct StreamingDecodeTests {
    @Test(
        "The blocks joined are read's samples, rate, channel count and warnings",
        arguments: ["song.wav", "song.flac", "song.mp3", "song.m4a"])
    func blocksJoinedEqualRead(_ name: String) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try songFile(name, in: dir)

        let whole = try AudioFile.read(path)
        let (audio, summary, blocks) = try streamed(path)

        #expect(blocks > 2)
        #expect(audio == whole.audio)
        #expect(summary.frameCount == whole.audio.frameCount)
        #expect(summary.sourceChannelCount == whole.sourceChannelCount)
        #expect(summary.warnings == whole.warnings)
    }

    @Test("A mono file's blocks are duplicated to stereo, as read does")
    func monoBlocksAreDuplicated() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("mono.wav")
        try WAVBytes.write(WAVBytes.pcm16((0..<70_000).map { Int16(truncatingIfNeeded: $0) }).bytes, to: path)

        let (audio, summary, _) = try streamed(path)

        #expect(audio == (try AudioFile.read(path)).audio)
        #expect(audio.channels[0] == audio.channels[1])
        #expect(summary.sourceChannelCount == 1)
    }

    @Test("Repairs are reported in the summary exactly as read reports them")
    func repairsWarnAsRead() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("broken.wav")
        var samples = [Float](repeating: 0.25, count: 3 * 1000)
        samples[4] = .nan
        samples[3 * 999 + 2] = .infinity
        try WAVBytes.write(WAVBytes.float32(samples, channels: 3).bytes, to: path)

        let whole = try AudioFile.read(path)
        let (audio, summary, _) = try streamed(path)

        #expect(audio == whole.audio)
        #expect(summary.warnings == whole.warnings)
        #expect(summary.warnings.count == 2)
        #expect(summary.sourceChannelCount == 3)
    }

    @Test("Refusals are read's errors", arguments: ["/dev/zero", "missing.wav"])
    func refusalsAreReadsErrors(_ name: String) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = name.hasPrefix("/") ? name : dir.file(name)
        let readError = #expect(throws: AudioIOError.self) { try AudioFile.read(path) }
        let decodeError = #expect(throws: AudioIOError.self) { try AudioFile.decode(path) { _ in } }
        #expect(readError == decodeError)
    }

    @Test("An error thrown by the consumer stops decoding and comes out as it is", arguments: ["song.wav", "song.m4a"])
    func consumerErrorStops(_ name: String) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try songFile(name, in: dir)
        var blocks = 0
        let error = #expect(throws: AudioIOError.self) {
            try AudioFile.decode(path) { _ throws(AudioIOError) in
                blocks += 1
                throw AudioIOError(path: path, reason: .cancelled)
            }
        }
        #expect(error?.reason == .cancelled)
        #expect(blocks == 1)
    }
}
