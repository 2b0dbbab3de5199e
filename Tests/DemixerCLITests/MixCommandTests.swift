import AudioIO
import Foundation
import Testing

/// `demixer mix` end to end: the remix is the stems under the mixer rules.
@Suite struct MixCommandTests {
    @Test func remixEqualsTheSeparatedStemsUnderTheMixerRules() throws {
        let dir = try TemporaryDirectory()
        let input = dir.path("song.wav")
        try AudioFile.write(SeparateCommandTests.song(rate: 44_100), to: input, format: .wavFloat32)
        let common = ["--weights", CLI.smallModel.path, "--bits", "32f", "--clip", "none"]
        let separated = try CLI.run(["separate", input, "-o", dir.path("stems")] + common)
        #expect(separated.status == 0, "\(separated.errors)")
        let mixed = try CLI.run(
            ["mix", input, "--gain", "drums=+6", "--mute", "vocals", "--gain", "bass=-inf", "-o", dir.path("remix.wav")] + common)
        #expect(mixed.status == 0, "\(mixed.errors)")

        func stem(_ name: String) throws -> [[Float]] {
            try AudioFile.read(dir.path("stems/5f0a1e01-754fa305/song/\(name).wav")).audio.channels
        }
        let (drums, other) = (try stem("drums"), try stem("other"))
        let remix = try AudioFile.read(dir.path("remix.wav")).audio.channels
        let gain = Float(pow(10, 6.0 / 20))
        var worst: Float = 0
        for c in 0..<2 {
            for i in 0..<remix[c].count {
                worst = max(worst, abs(remix[c][i] - (gain * drums[c][i] + other[c][i])))
            }
        }
        #expect(worst < 1e-5, "remix differs from 2·drums + other by \(worst)")
    }

    @Test func tempoAndPitchStretchTheRemixAndEveryStemAlike() throws {
        let dir = try TemporaryDirectory()
        let input = dir.path("song.wav")
        let song = SeparateCommandTests.song(rate: 44_100)
        try AudioFile.write(song, to: input, format: .wavFloat32)
        let common = ["--weights", CLI.smallModel.path, "--bits", "32f", "--clip", "none", "--tempo", "0.8", "--pitch", "-2"]
        let mixed = try CLI.run(["mix", input, "-o", dir.path("remix.wav")] + common)
        #expect(mixed.status == 0, "\(mixed.errors)")
        let separated = try CLI.run(["separate", input, "-o", dir.path("stems")] + common)
        #expect(separated.status == 0, "\(separated.errors)")
        let frames = song.channels[0].count
        let remix = try AudioFile.read(dir.path("remix.wav")).audio.channels
        #expect(abs(Double(remix[0].count) / Double(frames) / 1.25 - 1) < 0.01)
        for stem in ["drums", "bass", "other", "vocals"] {
            let channels = try AudioFile.read(dir.path("stems/5f0a1e01-754fa305/song/\(stem).wav")).audio.channels
            #expect(channels[0].count == remix[0].count)
        }
    }

    @Test(arguments: [["--tempo", "3"], ["--tempo", "0.2"], ["--pitch", "-13"], ["--pitch", "nan"]])
    func tempoAndPitchOutsideTheirRangesAreRefusedBeforeAnyWork(option: [String]) throws {
        let run = try CLI.run(["mix", "/dev/null", "--weights", CLI.smallModel.path, "-o", "/tmp/never.wav"] + option)
        #expect(run.status == 64)
        #expect(run.errors.contains("\(option[0]) must be between"))
    }

    @Test func anUnknownStemIsABadUsageNamingTheModelsStems() throws {
        let run = try CLI.run(["mix", "/dev/null", "--weights", CLI.smallModel.path, "--solo", "piano", "-o", "/tmp/never.wav"])
        #expect(run.status == 64)
        #expect(run.errors.contains("no stem 'piano'"))
        #expect(!FileManager.default.fileExists(atPath: "/tmp/never.wav"))
    }
}
