import AudioIO
import Foundation
import Testing

/// The stem cache and the weights commands, through the command line.
@Suite struct StorageCommandTests {
    /// Drums written by one run and another from the cache differ by at most one 16-bit step:
    /// the cache keeps ≥ 100 dB of each stem, finer than the output's own precision.
    static func withinOneStep(_ path: String, of first: AudioBuffer) throws -> Bool {
        let written = try AudioFile.read(path).audio
        guard written.frameCount == first.frameCount else { return false }
        return zip(written.channels, first.channels).allSatisfy { a, b in
            zip(a, b).allSatisfy { abs($0 - $1) <= 1.0 / 32_768 + 1e-9 }
        }
    }

    @Test func aSecondRunReadsTheCacheAndADamagedEntryIsRecomputed() throws {
        let dir = try TemporaryDirectory()
        let input = dir.path("song.wav")
        try AudioFile.write(SeparateCommandTests.song(rate: 44_100), to: input, format: .wav16)
        let environment = ["XDG_CACHE_HOME": dir.path("cache")]
        let arguments = ["separate", input, "--weights", CLI.smallModel.path, "-o", dir.path("out")]
        let first = try CLI.run(arguments, environment: environment)
        #expect(first.status == 0, "\(first.errors)")
        #expect(!first.errors.contains("from the cache"))
        let drums = dir.path("out/5f0a1e01-754fa305/song/drums.wav")
        let firstDrums = try AudioFile.read(drums).audio

        let second = try CLI.run(arguments, environment: environment)
        #expect(second.errors.contains("stems from the cache"))
        #expect(try Self.withinOneStep(drums, of: firstDrums))

        let stems = dir.path("cache/demixer/stems")
        let entry = try #require(try FileManager.default.contentsOfDirectory(atPath: stems).first { $0.hasSuffix(".stems") })
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: "\(stems)/\(entry)"))
        try handle.seek(toOffset: 4_000)
        try handle.write(contentsOf: Data([0x5A, 0xA5]))
        try handle.close()
        let third = try CLI.run(arguments, environment: environment)
        #expect(third.status == 0)
        #expect(third.errors.contains("checksum mismatch"))
        #expect(third.errors.contains("separating the rest again"))
        #expect(try Self.withinOneStep(drums, of: firstDrums))

        // The damaged entry is gone; the next run separates and caches the song anew.
        #expect(try CLI.run(["cache", "list"], environment: environment).output.contains("0 cached songs"))
        #expect(try CLI.run(arguments, environment: environment).status == 0)
        let list = try CLI.run(["cache", "list"], environment: environment)
        #expect(list.output.contains("1 cached song"))
        let clear = try CLI.run(["cache", "clear"], environment: environment)
        #expect(clear.status == 0)
        #expect(try CLI.run(["cache", "list"], environment: environment).output.contains("0 cached songs"))
    }

    @Test func cacheListShowsWhatAnInterruptedWriteLeftAndClearRemovesIt() throws {
        let dir = try TemporaryDirectory()
        let environment = ["XDG_CACHE_HOME": dir.path("cache")]
        let stems = dir.path("cache/demixer/stems")
        try FileManager.default.createDirectory(atPath: stems, withIntermediateDirectories: true)
        let leftover = "\(stems)/.\(String(repeating: "0123456789abcdef", count: 4)).stems.Ab3dE9.tmp"
        try Data(repeating: 7, count: 5_000).write(to: URL(fileURLWithPath: leftover))

        let list = try CLI.run(["cache", "list"], environment: environment)
        #expect(list.status == 0)
        #expect(list.output.contains("unfinished"))
        #expect(list.output.contains(leftover))
        let clear = try CLI.run(["cache", "clear"], environment: environment)
        #expect(clear.status == 0, "\(clear.errors)")
        #expect(!FileManager.default.fileExists(atPath: leftover))
        #expect(!(try CLI.run(["cache", "list"], environment: environment).output.contains("unfinished")))
    }

    @Test func withNoWeightsInstalledTheMessageSaysWhatToRun() throws {
        let dir = try TemporaryDirectory()
        let run = try CLI.run(["separate", "song.wav"], environment: ["XDG_CACHE_HOME": dir.path("cache")])
        #expect(run.status == 78)
        #expect(run.errors.contains("demixer weights fetch htdemucs"))
    }

    @Test func fetchFromALocalURLVerifiesTheChecksum() throws {
        let dir = try TemporaryDirectory()
        let mirror = dir.url.appendingPathComponent("mirror")
        try FileManager.default.createDirectory(at: mirror, withIntermediateDirectories: true)
        // A file under the official name whose content does not match its checksum.
        try FileManager.default.copyItem(at: CLI.smallModel, to: mirror.appendingPathComponent("955717e8-8726e21a.th"))
        let environment = ["XDG_CACHE_HOME": dir.path("cache")]
        let run = try CLI.run(["weights", "fetch", "htdemucs", "--url", mirror.absoluteString], environment: environment)
        #expect(run.status == 78)
        #expect(run.errors.contains("checksum mismatch"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path("cache/demixer/weights")).isEmpty)
        #expect(try CLI.run(["weights", "list"], environment: environment).output.contains("htdemucs      not installed"))
    }
}
