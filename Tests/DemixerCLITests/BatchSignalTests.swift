import AudioIO
import Foundation
import Testing

/// `separate` and `mix` stopped by a signal or a closed pipe: they cancel their jobs,
/// leave no temporary or partial file, and exit with 128 + the signal.
@Suite struct BatchSignalTests {
    /// A folder with `long.wav`: a minute of noise, which the fixture model takes
    /// several seconds to separate.
    static func folderWithLongSong() throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory()
        var generator = SystemRandomNumberGenerator()
        let channels = (0..<2).map { _ in (0..<(60 * 44_100)).map { _ in Float.random(in: -0.3...0.3, using: &generator) } }
        try AudioFile.write(AudioBuffer(sampleRate: 44_100, channels: channels), to: dir.path("long.wav"), format: .wav16)
        return dir
    }

    /// Polls `condition` every 5 ms for up to `seconds`.
    static func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            if Date() > deadline { return false }
            usleep(5_000)
        }
        return true
    }

    /// Files under `dir` whose name marks a temporary file (`.NAME.XXXXXX.tmp`).
    static func temporaryFiles(in dir: TemporaryDirectory) -> [String] {
        (FileManager.default.subpaths(atPath: dir.url.path) ?? []).filter { $0.hasSuffix(".tmp") }
    }

    @Test func sigtermWhileSeparatingExits143AndLeavesNothingBehind() throws {
        let dir = try Self.folderWithLongSong()
        let process = try CLI.start(
            ["separate", dir.path("long.wav"), "--weights", CLI.smallModel.path, "-o", dir.path("out")],
            environment: ["XDG_CACHE_HOME": dir.path("cache")], log: dir.path("log"))
        let separating = Self.waitUntil(seconds: 120) { process.output.contains("long: 0%") }
        process.send(SIGTERM)
        let status = process.wait()
        #expect(separating, "separation never reported progress:\n\(process.output)")
        #expect(status == 143, "\(process.output)")
        #expect(process.output.contains("interrupted"), "\(process.output)")
        #expect(Self.temporaryFiles(in: dir).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: dir.path("out")))
    }

    @Test func sigintWhileWritingExits130AndLeavesOnlyWholeStems() throws {
        let dir = try Self.folderWithLongSong()
        let process = try CLI.start(
            ["separate", dir.path("long.wav"), "--weights", CLI.smallModel.path, "-o", dir.path("out"), "--no-cache",
             "--format", "flac", "--bits", "24"],
            log: dir.path("log"))
        let writing = Self.waitUntil(seconds: 240) { process.output.contains("wrote ") }
        process.send(SIGINT)
        let status = process.wait()
        #expect(writing, "no stem was written:\n\(process.output)")
        #expect(status == 130, "\(process.output)")
        #expect(Self.temporaryFiles(in: dir).isEmpty)
        let folder = dir.path("out/5f0a1e01-754fa305/long")
        let written = try FileManager.default.contentsOfDirectory(atPath: folder)
        #expect(written.count < 4, "every stem was written before the signal: \(written)")
        for name in written {
            #expect(try AudioFile.read("\(folder)/\(name)").audio.frameCount == 60 * 44_100, "\(name) is partial")
        }
    }

    @Test func aClosedPipeEndsNothingButTheOutput() throws {
        let dir = try RefusalTests.folderWithSong()
        let run = try spawn(
            ["bash", "-c", "\"$@\" 2>&1 | head -1 >/dev/null; echo \"${PIPESTATUS[0]}\"", "bash", CLI.executable.path,
             "separate", dir.path("song.wav"), "--weights", CLI.smallModel.path, "-o", dir.path("out"), "--no-cache"],
            environment: CLI.merged([:]))
        #expect(run.output == "0\n", "separate should finish despite the closed pipe: \(run.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path("out/5f0a1e01-754fa305/song")).count == 4)
    }
}
