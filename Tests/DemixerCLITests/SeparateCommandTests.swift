import AudioIO
import Demucs
import Foundation
import Testing

/// `demixer separate` end to end with a small fixture checkpoint.
@Suite struct SeparateCommandTests {
    /// Two seconds of tones and a click track, stereo at `rate`.
    static func song(rate: Int, channels: Int = 2) -> AudioBuffer {
        let frames = 2 * rate
        let left = (0..<frames).map { i -> Float in
            let t = Double(i) / Double(rate)
            return Float(0.3 * sin(2 * .pi * 220 * t) + (i % (rate / 4) < 200 ? 0.4 : 0))
        }
        let right = (0..<frames).map { i in Float(0.25 * sin(2 * .pi * 330 * Double(i) / Double(rate))) }
        return AudioBuffer(sampleRate: rate, channels: channels == 1 ? [left] : [left, right])
    }

    @Test func stemsMatchTheEngineOnTheSameInput() throws {
        let dir = try TemporaryDirectory()
        let input = dir.path("song.wav")
        let song = Self.song(rate: 44_100)
        try AudioFile.write(song, to: input, format: .wavFloat32)
        let run = try CLI.run([
            "separate", input, "--weights", CLI.smallModel.path, "-o", dir.path("out"), "--bits", "32f", "--clip", "none",
        ])
        #expect(run.status == 0, "\(run.errors)")

        // The engine on the same input, normalised as the command does.
        let model = try HTDemucs.load(contentsOf: CLI.smallModel)
        let frames = song.frameCount
        let mono = (0..<frames).map { (Double(song.channels[0][$0]) + Double(song.channels[1][$0])) / 2 }
        let mean = mono.reduce(0, +) / Double(frames)
        let std = (mono.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(frames - 1)).squareRoot()
        let normalised = Tensor(
            shape: [2, frames], values: song.channels.flatMap { $0.map { Float((Double($0) - mean) / std) } })
        var expected = [[Float]](repeating: [Float](repeating: 0, count: 2 * frames), count: 4)
        try Separator(bag: ModelBag(model)).run(mix: normalised) { span in
            for s in 0..<4 {
                for c in 0..<2 {
                    for i in 0..<span.frameCount {
                        expected[s][c * frames + span.start + i] =
                            span.stems[s].values[c * span.frameCount + i] * Float(std) + Float(mean)
                    }
                }
            }
        }
        for (s, stem) in model.config.sources.enumerated() {
            let written = try AudioFile.read(dir.path("out/5f0a1e01-754fa305/song/\(stem).wav")).audio
            #expect(written.sampleRate == 44_100)
            let flat = written.channels.flatMap { $0 }
            let worst = zip(flat, expected[s]).map { abs($0 - $1) }.max() ?? 1
            #expect(worst < 1e-5, "\(stem) differs from the engine by \(worst)")
        }
    }

    @Test func twoStemsWritesTheStemAndTheSumOfTheOthers() throws {
        let dir = try TemporaryDirectory()
        let input = dir.path("song.wav")
        try AudioFile.write(Self.song(rate: 44_100), to: input, format: .wavFloat32)
        let run = try CLI.run([
            "separate", input, "--weights", CLI.smallModel.path, "-o", dir.path("out"), "--two-stems", "vocals",
            "--bits", "32f", "--clip", "none", "--filename", "{stem}-{track}.{ext}",
        ])
        #expect(run.status == 0, "\(run.errors)")
        let folder = dir.path("out/5f0a1e01-754fa305")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["no_vocals-song.wav", "vocals-song.wav"])
    }

    @Test func monoInputGivesMonoStemsAtTheSourceRate() throws {
        let dir = try TemporaryDirectory()
        let input = dir.path("mono.flac")
        try AudioFile.write(Self.song(rate: 48_000, channels: 1), to: input, format: .flac16)
        let run = try CLI.run(["separate", input, "--weights", CLI.smallModel.path, "-o", dir.path("out"), "--format", "flac"])
        #expect(run.status == 0, "\(run.errors)")
        let stem = try AudioFile.read(dir.path("out/5f0a1e01-754fa305/mono/drums.flac"))
        #expect(stem.sourceChannelCount == 1)
        #expect(stem.audio.sampleRate == 48_000)
        #expect(stem.audio.frameCount == 96_000)
    }

    @Test func missingWeightsSayWhatToPassAndExit78() throws {
        let run = try CLI.run(["separate", "/dev/null", "--weights", "/nonexistent/model.th"])
        #expect(run.status == 78)
        #expect(run.errors.contains("/nonexistent/model.th: no such model file"))
    }

    @Test func unreadableAudioNamesTheFileAndExits66() throws {
        let dir = try TemporaryDirectory()
        let input = dir.path("broken.wav")
        try Data("RIFF garbage".utf8).write(to: URL(fileURLWithPath: input))
        let run = try CLI.run(["separate", input, "--weights", CLI.smallModel.path, "-o", dir.path("out")])
        #expect(run.status == 66)
        #expect(run.errors.contains("broken.wav"))
    }

    @Test func anUnwritableDestinationExits73AndLeavesNoFile() throws {
        let dir = try TemporaryDirectory()
        let input = dir.path("song.wav")
        try AudioFile.write(Self.song(rate: 44_100), to: input, format: .wav16)
        // A plain file where the output folder should be.
        try Data().write(to: URL(fileURLWithPath: dir.path("out")))
        let run = try CLI.run(["separate", input, "--weights", CLI.smallModel.path, "-o", dir.path("out")])
        #expect(run.status == 73)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).sorted() == ["out", "song.wav"])
    }

    @Test func badUsageExits64() throws {
        let run = try CLI.run(["separate", "x.wav", "--overlap", "1.5"])
        #expect(run.status == 64)
        #expect(run.errors.contains("--overlap"))
    }
}
