import AudioIO
import Foundation
import Testing

/// Songs in FFmpeg-only formats and NI Stems files through `separate` and `mix`.
@Suite struct StemsFileCommandTests {
    @Test func anM4AIsSeparatedLikeAWAV() throws {
        let dir = try TemporaryDirectory()
        let source = dir.path("source.wav")
        try AudioFile.write(SeparateCommandTests.song(rate: 48_000), to: source, format: .wav16)
        let input = dir.path("song.m4a")
        #expect(try spawn(["/usr/bin/ffmpeg", "-loglevel", "error", "-i", source, "-c:a", "aac", input]).status == 0)

        let run = try CLI.run(["separate", input, "--weights", CLI.smallModel.path, "-o", dir.path("out")])

        #expect(run.status == 0, "\(run.errors)")
        let folder = dir.path("out/5f0a1e01-754fa305/song")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["bass.wav", "drums.wav", "other.wav", "vocals.wav"])
        #expect(try AudioFile.read("\(folder)/drums.wav").audio.sampleRate == 48_000)
    }

    @Test func separateWritesOneStemsFileWithTheSongAsMaster() throws {
        let dir = try TemporaryDirectory()
        let input = dir.path("song.wav")
        let song = SeparateCommandTests.song(rate: 44_100)
        try AudioFile.write(song, to: input, format: .wavFloat32)

        let run = try CLI.run(["separate", input, "--weights", CLI.smallModel.path, "-o", dir.path("out"), "--format", "stem.mp4"])

        #expect(run.status == 0, "\(run.errors)")
        let folder = dir.path("out/5f0a1e01-754fa305")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["song.stem.mp4"])
        let stems = try StemsFile.read("\(folder)/song.stem.mp4")
        #expect(stems.stems.map(\.name) == ["drums", "bass", "other", "vocals"])
        #expect(abs(stems.master.frameCount - song.frameCount) <= 1024)
    }

    @Test func mixUsesAStemsFilesOwnStemsWithoutAModel() throws {
        let dir = try TemporaryDirectory()
        let input = dir.path("song.stem.mp4")
        let tone = SeparateCommandTests.song(rate: 44_100)
        try StemsFile(master: tone, separated: [("drums", tone), ("vocals", tone)]).write(to: input)

        // No --weights and no installed model: the stems come from the file.
        let run = try CLI.run(["mix", input, "--mute", "vocals", "-o", dir.path("remix.wav")])

        #expect(run.status == 0, "\(run.errors)")
        let remix = try AudioFile.read(dir.path("remix.wav")).audio
        #expect(remix.sampleRate == 44_100)
        #expect(abs(remix.frameCount - tone.frameCount) <= 1024)
    }

    @Test func randomBytesNamedM4AExit66WithNothingWritten() throws {
        let dir = try TemporaryDirectory()
        let input = dir.path("song.m4a")
        try Data((0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 7919) }).write(to: URL(fileURLWithPath: input))

        let run = try CLI.run(["separate", input, "--weights", CLI.smallModel.path, "-o", dir.path("out")])

        #expect(run.status == 66)
        #expect(run.errors.contains("\(input): not a readable audio file"))
        #expect(!FileManager.default.fileExists(atPath: dir.path("out")))
    }
}
