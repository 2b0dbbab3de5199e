import AudioIO
import Foundation
import Testing

/// The player driven as a person would: in tmux, with keys, recording what ALSA plays
/// through the `file` plugin.
@Suite(.serialized) struct PlayerTmuxTests {
    final class Session {
        let name = "demixer-test-\(UUID().uuidString.prefix(8))"

        init(command: String, width: Int = 100, height: Int = 32) throws {
            // The server this starts keeps the client's output open: give it none to keep.
            try Self.tmux(["new-session", "-d", "-s", name, "-x", "\(width)", "-y", "\(height)", command], capture: false)
        }

        deinit { _ = try? Self.tmux(["kill-session", "-t", name]) }

        func send(_ keys: String...) throws { try Self.tmux(["send-keys", "-t", name] + keys) }

        func screen() throws -> String { try Self.tmux(["capture-pane", "-p", "-t", name]) }

        /// Polls the screen until `predicate` holds or `seconds` pass.
        func waitFor(seconds: Double, _ predicate: (String) -> Bool) throws -> String {
            let deadline = Date().addingTimeInterval(seconds)
            var text = try screen()
            while !predicate(text) && Date() < deadline {
                Thread.sleep(forTimeInterval: 0.2)
                text = try screen()
            }
            return text
        }

        @discardableResult
        static func tmux(_ arguments: [String], capture: Bool = true) throws -> String {
            try spawn(["tmux"] + arguments, capture: capture).output
        }
    }

    static var hasTmux: Bool { (try? Session.tmux(["-V"]))?.hasPrefix("tmux") ?? false }

    @Test(.enabled(if: hasTmux, "tmux is not installed"))
    func keysChangeTheMixAndTheDevicePlaysExactlyTheOfflineMix() throws {
        let dir = try TemporaryDirectory()
        let song = dir.path("song.wav")
        var audio = SeparateCommandTests.song(rate: 44_100)
        audio.channels = audio.channels.map { $0.map { $0 * 0.5 } }
        try AudioFile.write(audio, to: song, format: .wavFloat32)
        let expectedRun = try CLI.run([
            "mix", song, "--weights", CLI.smallModel.path, "--gain", "drums=+3", "--mute", "vocals", "--bits", "32f",
            "--clip", "none", "-o", dir.path("expected.wav"),
        ])
        try #require(expectedRun.status == 0, "\(expectedRun.errors)")
        let expected = try AudioFile.read(dir.path("expected.wav")).audio.channels

        let raw = dir.path("played.raw")
        let command = """
            cd \(dir.url.path) && XDG_CONFIG_HOME=\(dir.path("config")) XDG_CACHE_HOME=\(dir.path("cache")) \(CLI.executable.path) \(song) --weights \(CLI.smallModel.path) \
            --device "file:'\(raw)',raw"; echo "EXITED $?"; sleep 60
            """
        let session = try Session(command: command)
        try session.send("Space")
        let separated = try session.waitFor(seconds: 240) { $0.contains("Separated ") }
        try #require(separated.contains("Separated "), "separation did not finish:\n\(separated)")
        #expect(separated.contains("song.wav"))
        try session.send("Home")
        try session.send("4")
        try session.send("m")
        try session.send("1")
        try session.send("Up", "Up", "Up")
        let mixed = try session.waitFor(seconds: 10) { $0.contains("+3.0 dB") }
        #expect(mixed.contains("+3.0 dB"), "the drums fader should read +3.0 dB:\n\(mixed)")
        try session.send("Space")
        Thread.sleep(forTimeInterval: Double(audio.frameCount) / 44_100 + 1.5)
        // Export the remix as heard, with the dialog's defaults (FLAC 24-bit, in the current folder).
        try session.send("e")
        try session.send("Enter")
        let exported = try session.waitFor(seconds: 30) { $0.contains("exported") }
        #expect(exported.contains("exported"), "the export should report where it wrote:\n\(exported)")
        let remix = try AudioFile.read(dir.path("song (remix).flac")).audio
        #expect(remix.frameCount == audio.frameCount && remix.sampleRate == 44_100)
        try session.send("q")
        let exited = try session.waitFor(seconds: 20) { $0.contains("EXITED") }
        #expect(exited.contains("EXITED 0"), "the player should quit cleanly:\n\(exited)")

        let played = try recordedStereo(raw)
        let start = try #require(alignment(of: expected, in: played), "the mix never played")
        // Skip the 5 ms fade-in and the 10 ms fader ramp; 16-bit samples round to 1/32768.
        var worst: Float = 0
        for c in 0..<2 {
            for i in 1_000..<(expected[c].count - 100) {
                worst = max(worst, abs(played[c][start + i] - expected[c][i]))
            }
        }
        #expect(worst < 2e-4, "played audio differs from the offline mix by \(worst)")
    }

    @Test(.enabled(if: hasTmux, "tmux is not installed"))
    func at80PercentTempoTheDevicePlaysTheSongOver125PercentOfItsFrames() throws {
        let dir = try TemporaryDirectory()
        let song = dir.path("song.wav")
        let audio = SeparateCommandTests.song(rate: 44_100)
        try AudioFile.write(audio, to: song, format: .wavFloat32)
        let raw = dir.path("played.raw")
        let command = """
            cd \(dir.url.path) && XDG_CONFIG_HOME=\(dir.path("config")) XDG_CACHE_HOME=\(dir.path("cache")) \(CLI.executable.path) \(song) --weights \(CLI.smallModel.path) \
            --device "file:'\(raw)',raw"; echo "EXITED $?"; sleep 60
            """
        // Wide enough for the header to show the tempo beside the long device name.
        let session = try Session(command: command, width: 220)
        try session.send("Space")
        let separated = try session.waitFor(seconds: 240) { $0.contains("Separated ") }
        try #require(separated.contains("Separated "), "separation did not finish:\n\(separated)")
        try session.send("{", "{", "{", "{")
        let slowed = try session.waitFor(seconds: 10) { $0.contains("tempo 80%") }
        #expect(slowed.contains("tempo 80%"), "the header should show the tempo:\n\(slowed)")
        try session.send("Home")
        try session.send("Space")
        Thread.sleep(forTimeInterval: Double(audio.frameCount) / 44_100 * 1.25 + 1.5)
        let ended = try session.screen()
        // The position stays in song time: at the end of a 2 s song it reads 0:02.0, beside
        // the duration in the header and at the timeline's end.
        #expect(ended.components(separatedBy: "0:02.0").count - 1 == 3, "the position should be in song time:\n\(ended)")
        try session.send("q")
        let exited = try session.waitFor(seconds: 20) { $0.contains("EXITED") }
        #expect(exited.contains("EXITED 0"), "the player should quit cleanly:\n\(exited)")

        // The song sounds from its first frame to its last: at 80 % that span lasts 1.25×.
        let played = try recordedStereo(raw)[0]
        let first = try #require(played.firstIndex { abs($0) > 0.02 }, "nothing played")
        let last = try #require(played.lastIndex { abs($0) > 0.02 })
        let lengthening = Double(last - first) / Double(audio.frameCount)
        #expect(abs(lengthening / 1.25 - 1) < 0.02, "played \(last - first) frames for \(audio.frameCount)")
    }

    /// Ctrl-C and every signal that asks the player to stop: it quits cleanly (jobs
    /// cancelled and waited for), gives the terminal back as it was, prints no backtrace
    /// and exits with 128 + the signal's number.
    @Test(.enabled(if: hasTmux, "tmux is not installed"),
          arguments: [("C-c", 130), ("TERM", 143), ("HUP", 129), ("QUIT", 131), ("USR1", 138), ("USR2", 140)])
    func theTerminalIsRestoredWhenThePlayerIsInterrupted(by interruption: String, status: Int) throws {
        let dir = try TemporaryDirectory()
        let song = dir.path("restore-\(interruption).wav")
        try AudioFile.write(SeparateCommandTests.song(rate: 44_100), to: song, format: .wav16)
        let command = """
            stty -g > \(dir.path("before")); XDG_CACHE_HOME=\(dir.path("cache")) \(CLI.executable.path) \(song) \
            --weights \(CLI.smallModel.path) --device null; echo "STATUS $?"; stty -g > \(dir.path("after")); sleep 60
            """
        let session = try Session(command: command)
        let running = try session.waitFor(seconds: 30) { $0.contains("restore-") && $0.contains("Space Play") }
        try #require(running.contains("Space Play"), "the player did not start:\n\(running)")
        if interruption == "C-c" {
            try session.send("C-c")
        } else {
            _ = try spawn(["pkill", "-\(interruption)", "-f", "restore-\(interruption).wav"])
        }
        let ended = try session.waitFor(seconds: 20) { $0.contains("STATUS") }
        #expect(ended.contains("STATUS \(status)"), "the player did not stop cleanly on \(interruption):\n\(ended)")
        #expect(!ended.lowercased().contains("backtrace") && !ended.contains("Thread 0"), "\(ended)")
        Thread.sleep(forTimeInterval: 0.5)
        let before = try String(contentsOfFile: dir.path("before"), encoding: .utf8)
        let after = try String(contentsOfFile: dir.path("after"), encoding: .utf8)
        #expect(before == after, "terminal modes changed after \(interruption)")
        #expect(!before.isEmpty)
    }

    /// Interleaved S16_LE stereo as `[channel][frame]`.
    func recordedStereo(_ path: String) throws -> [[Float]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let samples = data.withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }.map { Float($0) / 32_768 }
        return [stride(from: 0, to: samples.count - 1, by: 2).map { samples[$0] },
                stride(from: 1, to: samples.count, by: 2).map { samples[$0] }]
    }

    /// The frame of `played` where `expected` begins: the lag that best matches one
    /// second of it, searched around the first loud sample.
    func alignment(of expected: [[Float]], in played: [[Float]]) -> Int? {
        guard let firstLoud = played[0].firstIndex(where: { abs($0) > 0.02 }),
              let expectedLoud = expected[0].firstIndex(where: { abs($0) > 0.02 }) else { return nil }
        let guess = firstLoud - expectedLoud
        let window = 2_000..<min(46_100, expected[0].count)
        var best: (lag: Int, error: Float)?
        for lag in max(0, guess - 600)...(guess + 600) where lag + window.upperBound <= played[0].count {
            var error: Float = 0
            for i in window { error += abs(played[0][lag + i] - expected[0][i]) }
            if best == nil || error < best!.error { best = (lag, error) }
        }
        return best?.lag
    }
}

extension PlayerTmuxTests {
    @Test(.enabled(if: hasTmux, "tmux is not installed"))
    func aSongThatCannotBeOpenedIsReportedInThePlayer() throws {
        let dir = try TemporaryDirectory()
        let command = """
            \(CLI.executable.path) \(dir.path("missing.wav")) --weights \(CLI.smallModel.path); echo "STATUS $?"; sleep 60
            """
        let session = try Session(command: command)
        let screen = try session.waitFor(seconds: 20) { $0.contains("missing.wav:") }
        #expect(screen.contains("missing.wav:"), "the reason should be on the status line:\n\(screen)")
        try session.send("q")
        let ended = try session.waitFor(seconds: 10) { $0.contains("STATUS") }
        #expect(ended.contains("STATUS 66"))
    }

    @Test(.enabled(if: hasTmux, "tmux is not installed"))
    func withoutInstalledWeightsThePlayerFallsBackToTheDemoModelAndSaysSo() throws {
        let dir = try TemporaryDirectory()
        let command = """
            XDG_CONFIG_HOME=\(dir.path("config")) XDG_CACHE_HOME=\(dir.path("cache")) \(CLI.executable.path) \
            \(DemoModelTests.song.path) --device null; echo "STATUS $?"; sleep 60
            """
        let session = try Session(command: command)
        let screen = try session.waitFor(seconds: 30) { $0.contains("demo model in use") }
        #expect(screen.contains("htdemucs is not installed: demo model in use"), "\(screen)")
        #expect(screen.contains("demo-song.flac") && screen.contains(" demo "), "the header should name the demo model:\n\(screen)")
        // Quitting mid-separation once crashed in OpenBLAS as the process exited under a running product.
        #expect(screen.contains("Separating"), "q should arrive while separating:\n\(screen)")
        try session.send("q")
        let ended = try session.waitFor(seconds: 20) { $0.contains("STATUS") }
        #expect(ended.contains("STATUS 0"), "\(ended)")
    }

    @Test(.enabled(if: hasTmux, "tmux is not installed"))
    func aModelNamedOnTheCommandLineIsNeverReplacedByTheDemo() throws {
        let dir = try TemporaryDirectory()
        let command = """
            XDG_CONFIG_HOME=\(dir.path("config")) XDG_CACHE_HOME=\(dir.path("cache")) \(CLI.executable.path) \
            \(DemoModelTests.song.path) -n htdemucs --device null; echo "STATUS $?"; sleep 60
            """
        let session = try Session(command: command)
        let screen = try session.waitFor(seconds: 30) { $0.contains("not installed") }
        #expect(screen.contains("The model 'htdemucs' is not installed"), "\(screen)")
        try session.send("q")
        let ended = try session.waitFor(seconds: 20) { $0.contains("STATUS") }
        #expect(ended.contains("STATUS 78"), "\(ended)")
    }
}

extension PlayerTmuxTests {
    /// A minute of the demo song, long enough that seeking beyond the separated part
    /// happens while the demo model is still separating.
    static func minuteOfDemoSong(at path: String) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let demo = try AudioFile.read(root.appendingPathComponent("Weights/demo-song.flac").path).audio
        let song = AudioBuffer(sampleRate: demo.sampleRate, channels: demo.channels.map { $0 + $0 })
        try AudioFile.write(song, to: path, format: .wavFloat32)
    }

    @Test(.enabled(if: hasTmux, "tmux is not installed"))
    func aSeekBeyondTheSeparatedPartMovesTheSeparationThereAndTheCacheEqualsAnInOrderRun() throws {
        let dir = try TemporaryDirectory()
        let song = dir.path("song.wav")
        try Self.minuteOfDemoSong(at: song)
        let raw = dir.path("played.raw")
        let environment = ["XDG_CONFIG_HOME": dir.path("config"), "XDG_CACHE_HOME": dir.path("cache")]
        let command = """
            cd \(dir.url.path) && XDG_CONFIG_HOME=\(dir.path("config")) XDG_CACHE_HOME=\(dir.path("cache")) \(CLI.executable.path) \(song) -n demo \
            --device "file:'\(raw)',raw"; echo "EXITED $?"; sleep 60
            """
        let session = try Session(command: command, width: 120)
        let opened = try session.waitFor(seconds: 60) { $0.contains("song.wav") }
        try #require(opened.contains("song.wav"), "the player did not open:\n\(opened)")
        Thread.sleep(forTimeInterval: 3)
        // To the end, then back 10 s: the playhead waits near 0:50, far beyond what is separated.
        // Keys sent into a pane can be missed while the player starts up: send again until it moved.
        var seeked = Date()
        for _ in 0..<5 {
            try session.send("End")
            try session.send("Left", "Left")
            seeked = Date()
            let moved = try session.waitFor(seconds: 3) { $0.range(of: #"0:(49|5\d)\.\d"#, options: .regularExpression) != nil }
            if moved.range(of: #"0:(49|5\d)\.\d"#, options: .regularExpression) != nil { break }
        }
        let playing = try session.waitFor(seconds: 60) { $0.range(of: #"0:5[1-8]\.\d"#, options: .regularExpression) != nil }
        let wait = Date().timeIntervalSince(seeked)
        #expect(playing.range(of: #"0:5[1-8]\.\d"#, options: .regularExpression) != nil, "playback did not resume:\n\(playing)")
        #expect(!playing.contains("Separated "), "the whole song was separated before the seek mattered:\n\(playing)")
        #expect(wait < 30, "playback resumed \(wait) s after the seek")
        // What plays there is the song, not silence.
        let recent = try recordedStereo(raw)[0].suffix(22_050)
        #expect(recent.contains { abs($0) > 0.01 }, "the last half second recorded is silent")

        let separated = try session.waitFor(seconds: 240) { $0.contains("Separated ") }
        try #require(separated.contains("Separated "), "separation did not finish:\n\(separated)")
        try session.send("q")
        let exited = try session.waitFor(seconds: 60) { $0.contains("EXITED") }
        #expect(exited.contains("EXITED 0"), "the player should quit cleanly:\n\(exited)")

        // The entry the player cached equals, byte for byte, the one an in-order run caches.
        let stems = dir.path("cache/demixer/stems")
        func entry() throws -> Data {
            let name = try #require(try FileManager.default.contentsOfDirectory(atPath: stems).first { $0.hasSuffix(".stems") })
            return try Data(contentsOf: URL(fileURLWithPath: "\(stems)/\(name)"))
        }
        let afterSeeking = try entry()
        #expect(try CLI.run(["cache", "clear"], environment: environment).status == 0)
        let inOrder = try CLI.run(["separate", song, "-n", "demo", "-o", dir.path("out")], environment: environment)
        try #require(inOrder.status == 0, "\(inOrder.errors)")
        #expect(try entry() == afterSeeking)
    }
}
