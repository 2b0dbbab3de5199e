import Foundation
import Testing
@testable import AudioIO

@Suite("Decoding into a mapped temporary file")
struct MappedAudioTests {
    /// (file made from the test song, the rate to read it at)
    @Test(
        "The mapping holds exactly read's samples resampled, whatever the back end",
        arguments: [("song.flac", 48_000), ("song.mp3", 48_000), ("song.m4a", 48_000), ("song.wav", 44_100)])
    func equalsReadThenResample(_ name: String, rate: Int) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let scratch = dir.file("scratch")
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: false)
        let path = dir.file(name)
        if name.hasSuffix(".wav") {
            try AudioFile.write(testSong, to: path, format: .wav16)
        } else {
            try AudioFile.write(testSong, to: dir.file("source.wav"), format: .wav16)
            try ffmpeg(["-i", dir.file("source.wav"), path])
        }

        let decoded = try AudioFile.read(path)
        let expected = try Resampler.resample(decoded.audio, to: rate)
        // 50,000-sample spill files: the song crosses several of them.
        let mapped = try AudioFile.readMapped(path, sampleRate: rate, temporaryIn: scratch, chunk: 50_000)

        #expect(mapped.sampleRate == rate)
        #expect(mapped.sourceRate == decoded.audio.sampleRate)
        #expect(mapped.sourceChannelCount == 2)
        #expect(mapped.channelCount == 2)
        #expect(mapped.warnings == decoded.warnings)
        #expect(mapped.frameCount == expected.frameCount)
        #expect(mapped.copy(frames: 0..<mapped.frameCount) == expected)
        #expect(Array(mapped.channel(1)) == expected.channels[1])
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch).isEmpty)
    }

    @Test("A mono file is read as stereo and remembers it was mono")
    func monoIsDuplicated() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("mono.wav")
        try AudioFile.write(testSong.remixed(toChannelCount: 1), to: path, format: .wav24)

        let mapped = try AudioFile.readMapped(path, sampleRate: 48_000, temporaryIn: dir.path)

        #expect(mapped.sourceChannelCount == 1)
        #expect(Array(mapped.channel(0)) == Array(mapped.channel(1)))
        #expect(mapped.copy(frames: 0..<mapped.frameCount) == (try Resampler.resample(AudioFile.read(path).audio, to: 48_000)))
    }

    @Test("No file is left in the temporary directory, while mapped or after")
    func leavesNoFile() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let scratch = dir.file("scratch")
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: false)
        let path = dir.file("song.flac")
        try AudioFile.write(testSong, to: path, format: .flac16)

        var mapped: MappedAudio? = try AudioFile.readMapped(path, sampleRate: 48_000, temporaryIn: scratch, chunk: 10_000)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch).isEmpty)
        #expect(mapped?.frameCount == 96_000)
        mapped = nil
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch).isEmpty)
    }

    @Test("A file that cannot be read fails as read fails, leaving nothing")
    func unreadableFailsAsRead() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("empty.wav")
        try WAVBytes.write(WAVBytes.pcm16([]).bytes, to: path)

        let readError = #expect(throws: AudioIOError.self) { try AudioFile.read(path) }
        let mappedError = #expect(throws: AudioIOError.self) {
            try AudioFile.readMapped(path, sampleRate: 48_000, temporaryIn: dir.path)
        }
        #expect(readError == mappedError)
        #expect(try dir.contents() == ["empty.wav"])
    }

    @Test("A missing temporary directory is a temporary-storage error")
    func missingDirectoryFails() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("song.wav")
        try AudioFile.write(testSong, to: path, format: .wav16)

        let error = #expect(throws: AudioIOError.self) {
            try AudioFile.readMapped(path, sampleRate: 48_000, temporaryIn: dir.file("absent"))
        }
        guard case .temporaryStorage = error?.reason else {
            Issue.record("expected a temporary-storage error, got \(String(describing: error))")
            return
        }
    }
}
