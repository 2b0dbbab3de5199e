import Foundation
import Testing
@testable import AudioIO

/// A format the test song is encoded to with the `ffmpeg` command, and what decoding it must give.
struct EncodedFormat: Sendable, CustomTestStringConvertible {
    let name: String
    let fileName: String
    let arguments: [String]
    let sampleRate: Int
    /// How far the decoded length may be from the song's: one frame of the codec's priming.
    let slack: Int
    let isLossless: Bool
    var testDescription: String { name }

    static let all: [EncodedFormat] = [
        EncodedFormat(name: "AAC/M4A", fileName: "song.m4a", arguments: ["-c:a", "aac", "-b:a", "192k"], sampleRate: 44_100, slack: 1024, isLossless: false),
        EncodedFormat(name: "ALAC/M4A", fileName: "song.m4a", arguments: ["-c:a", "alac"], sampleRate: 44_100, slack: 0, isLossless: true),
        EncodedFormat(name: "Opus/WebM", fileName: "song.webm", arguments: ["-c:a", "libopus"], sampleRate: 48_000, slack: 960, isLossless: false),
        EncodedFormat(name: "Opus/MKA", fileName: "song.mka", arguments: ["-c:a", "libopus"], sampleRate: 48_000, slack: 960, isLossless: false),
        EncodedFormat(name: "Vorbis/OGG", fileName: "song.ogg", arguments: ["-c:a", "libvorbis"], sampleRate: 44_100, slack: 2048, isLossless: false),
        EncodedFormat(name: "MP3", fileName: "song.mp3", arguments: ["-c:a", "libmp3lame", "-b:a", "192k"], sampleRate: 44_100, slack: 1152, isLossless: false),
        EncodedFormat(name: "WMA", fileName: "song.wma", arguments: ["-c:a", "wmav2", "-b:a", "192k"], sampleRate: 44_100, slack: 2048, isLossless: false),
        EncodedFormat(name: "FLAC", fileName: "song.flac", arguments: ["-c:a", "flac"], sampleRate: 44_100, slack: 0, isLossless: true),
        EncodedFormat(name: "WAV", fileName: "song.wav", arguments: ["-c:a", "pcm_s16le"], sampleRate: 44_100, slack: 0, isLossless: true),
        EncodedFormat(name: "AIFF", fileName: "song.aiff", arguments: ["-c:a", "pcm_s16be"], sampleRate: 44_100, slack: 0, isLossless: true),
        EncodedFormat(
            name: "MP4 video with an AAC track", fileName: "video.mp4",
            arguments: ["-f", "lavfi", "-i", "color=c=black:s=64x64:r=25:d=2", "-c:v", "mpeg4", "-c:a", "aac"],
            sampleRate: 44_100, slack: 1024, isLossless: false),
        EncodedFormat(
            name: "MKV video with a Vorbis track", fileName: "video.mkv",
            arguments: ["-f", "lavfi", "-i", "color=c=black:s=64x64:r=25:d=2", "-c:v", "mpeg4", "-c:a", "libvorbis"],
            sampleRate: 44_100, slack: 2048, isLossless: false),
    ]
}

@Suite("Decoding through FFmpeg")
struct FFmpegDecodingTests {
    @Test("Every format decodes to the song's length, rate and channels; lossless ones sample for sample", arguments: EncodedFormat.all)
    func decodesFormat(_ format: EncodedFormat) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let source = dir.file("source.wav")
        try AudioFile.write(testSong, to: source, format: .wav16)
        let reference = try AudioFile.read(source).audio
        let path = dir.file(format.fileName)
        try ffmpeg(["-i", source] + format.arguments + [path])

        let decoded = try AudioFile.read(path)

        #expect(decoded.audio.sampleRate == format.sampleRate)
        #expect(decoded.sourceChannelCount == 2)
        #expect(decoded.warnings.isEmpty)
        let expected = testSong.frameCount * format.sampleRate / testSong.sampleRate
        #expect(abs(decoded.audio.frameCount - expected) <= format.slack, "\(decoded.audio.frameCount) frames, expected \(expected)")
        if format.isLossless {
            #expect(decoded.audio.channels == reference.channels)
        } else if format.sampleRate == reference.sampleRate && format.slack <= 1024 {
            // Gapless codecs line up with the source: their error is coding noise only.
            for c in 0..<2 {
                #expect(snr(decoded.audio.channels[c], against: reference.channels[c]) > 20)
            }
        }
    }

    @Test("A truncated M4A with its index at the end is unreadable")
    func truncatedIndexLast() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try encodeSong(in: dir, as: "song.m4a", ["-c:a", "aac"])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))

        try expectUnreadable(path)
    }

    @Test("A truncated M4A with its index first decodes what is there and warns that it ends early")
    func truncatedIndexFirst() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try encodeSong(in: dir, as: "song.m4a", ["-c:a", "aac", "-movflags", "+faststart"])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))

        let decoded = try AudioFile.read(path)

        #expect(decoded.audio.frameCount > 0 && decoded.audio.frameCount < testSong.frameCount)
        #expect(decoded.warnings.contains { $0.hasPrefix("\(path): ends after") })
    }

    @Test("A zero-length M4A is unreadable")
    func zeroLength() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("song.m4a")
        try Data().write(to: URL(fileURLWithPath: path))

        try expectUnreadable(path)
    }

    @Test("Random bytes named .m4a are unreadable")
    func randomBytes() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("song.m4a")
        var generator = SystemRandomNumberGenerator()
        try Data((0..<100_000).map { _ in UInt8.random(in: 0...255, using: &generator) })
            .write(to: URL(fileURLWithPath: path))

        try expectUnreadable(path)
    }

    @Test("A video without sound has no audio stream")
    func videoWithoutAudio() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("video.mp4")
        try ffmpeg(["-f", "lavfi", "-i", "color=c=black:s=64x64:r=25:d=1", "-c:v", "mpeg4", path])

        #expect(throws: AudioIOError(path: path, reason: .noAudioStream)) { try AudioFile.read(path) }
    }

    @Test("A mono M4A decodes as stereo and remembers it was mono")
    func monoSource() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try encodeSong(in: dir, as: "song.m4a", ["-c:a", "alac", "-ac", "1"])

        let decoded = try AudioFile.read(path)

        #expect(decoded.sourceChannelCount == 1)
        #expect(decoded.audio.channels[0] == decoded.audio.channels[1])
    }

    private func encodeSong(in dir: TemporaryDirectory, as name: String, _ arguments: [String]) throws -> String {
        let source = dir.file("source.wav")
        try AudioFile.write(testSong, to: source, format: .wav16)
        let path = dir.file(name)
        try ffmpeg(["-i", source] + arguments + [path])
        return path
    }

    /// Reading fails as today's unreadable files do: libsndfile's reason, naming the path.
    private func expectUnreadable(_ path: String) throws {
        do {
            let decoded = try AudioFile.read(path)
            Issue.record("expected an error, decoded \(decoded.audio.frameCount) frames")
        } catch {
            guard case .unreadable = error.reason else {
                Issue.record("unexpected reason: \(error)")
                return
            }
            #expect(error.description.hasPrefix("\(path): not a readable audio file (libsndfile: "))
        }
    }
}
