import AudioIO
import Foundation
import Testing

/// Absurd options, outputs and inputs are refused with a message that names the option
/// or file and what is accepted, before any audio is decoded or separated.
@Suite struct RefusalTests {
    /// A folder holding the two-second test song as `song.wav`.
    static func folderWithSong() throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory()
        try AudioFile.write(SeparateCommandTests.song(rate: 44_100), to: dir.path("song.wav"), format: .wav16)
        return dir
    }

    /// Everything under `dir`, as paths relative to it, sorted.
    static func contents(of dir: TemporaryDirectory) -> [String] {
        (FileManager.default.subpaths(atPath: dir.url.path) ?? []).sorted()
    }

    @Test(arguments: [
        (["--overlap", "0.95"], "--overlap must be between 0 and 0.9, not 0.95"),
        (["--overlap", "nan"], "--overlap must be between 0 and 0.9, not nan"),
        (["--shifts", "21"], "--shifts must be between 0 and 20, not 21"),
        (["--shifts", "1000000"], "--shifts must be between 0 and 20, not 1000000"),
        (["--segment", "0.00003"], "--segment must be between 1 and 600 s, not 3e-05"),
        (["--segment", "nan"], "--segment must be between 1 and 600 s, not nan"),
        (["--segment", "inf"], "--segment must be between 1 and 600 s, not inf"),
        (["--segment", "1e300"], "--segment must be between 1 and 600 s, not 1e+300"),
    ])
    func anOptionOutsideItsRangeExits64NamingTheRange(option: [String], message: String) throws {
        let dir = try Self.folderWithSong()
        let run = try CLI.run(["separate", dir.path("song.wav"), "--weights", CLI.smallModel.path, "-o", dir.path("out")] + option)
        #expect(run.status == 64, "\(run.errors)")
        #expect(run.errors.contains(message), "\(run.errors)")
        #expect(Self.contents(of: dir) == ["song.wav"])
    }

    @Test(arguments: [
        ("seek_step = 1e300", "seek_step must be between 0.1 and 600 s, not 1e+300"),
        ("seek_step = 0.01", "seek_step must be between 0.1 and 600 s, not 0.01"),
        ("overlap = 0.95", "overlap must be between 0 and 0.9, not 0.95"),
    ])
    func aConfigValueOutsideItsRangeExits64NamingTheFileAndKey(line: String, message: String) throws {
        let dir = try Self.folderWithSong()
        try FileManager.default.createDirectory(atPath: dir.path("config/demixer"), withIntermediateDirectories: true)
        try (line + "\n").write(toFile: dir.path("config/demixer/config.toml"), atomically: true, encoding: .utf8)
        let run = try CLI.run(
            ["separate", dir.path("song.wav"), "--weights", CLI.smallModel.path, "-o", dir.path("out")],
            environment: ["XDG_CONFIG_HOME": dir.path("config")])
        #expect(run.status == 64, "\(run.errors)")
        #expect(run.errors.contains("config/demixer/config.toml: \(message)"), "\(run.errors)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("out")))
    }

    @Test func aSegmentLongerThanTheModelsExits64NamingTheModelsSegment() throws {
        let dir = try Self.folderWithSong()
        // The fixture model's segment is half a second, below any accepted --segment.
        let run = try CLI.run(["separate", dir.path("song.wav"), "--weights", CLI.smallModel.path, "--segment", "2"])
        #expect(run.status == 64, "\(run.errors)")
        #expect(run.errors.contains("outside 0.5...0.5 s for this model"), "\(run.errors)")
    }

    @Test(arguments: [
        (["mix", "-o", "m.ogg"], "'.ogg' is not a format Demixer writes"),
        (["mix", "-o", "m.flac", "--format", "wav"], "does not match the chosen format wav"),
        (["mix", "-o", "m.flac", "--bits", "32f"], "FLAC cannot store 32-bit float samples"),
        (["mix", "-o", "m.mp3", "--bits", "24"], "MP3 has no sample format to choose"),
        (["separate", "--filename", "{track}/{stem}.ogg"], "'.ogg' is not a format Demixer writes"),
        (["separate", "--filename", "{stem}.flac", "--bits", "32f"], "FLAC cannot store 32-bit float samples"),
        (["separate", "--filename", "{stem}.flac", "--format", "wav"], "does not match the chosen format wav"),
    ])
    func aFormatTheOutputNameOrBitDepthContradictsExits64BeforeSeparating(arguments: [String], message: String) throws {
        let dir = try Self.folderWithSong()
        var arguments = arguments
        if let o = arguments.firstIndex(of: "-o") { arguments[o + 1] = dir.path(arguments[o + 1]) }
        let run = try CLI.run(
            [arguments[0], dir.path("song.wav"), "--weights", CLI.smallModel.path] + arguments.dropFirst()
                + (arguments[0] == "separate" ? ["-o", dir.path("out")] : []))
        #expect(run.status == 64, "\(run.errors)")
        #expect(run.errors.contains(message), "\(run.errors)")
        #expect(Self.contents(of: dir) == ["song.wav"])
    }

    @Test(arguments: [
        ("/", "every part a name"), ("", "every part a name"), (".", "every part a name"),
        ("{track}/", "every part a name"), ("../{stem}.{ext}", "every part a name"),
        ("/tmp/{stem}.{ext}", "every part a name"), ("{track}.{ext}", "one would overwrite the other"),
    ])
    func aTemplateThatLosesOutputsOrLeavesTheFolderExits64BeforeSeparating(template: String, problem: String) throws {
        let dir = try Self.folderWithSong()
        let run = try CLI.run([
            "separate", dir.path("song.wav"), "--weights", CLI.smallModel.path, "-o", dir.path("out/deep"),
            "--filename", template,
        ])
        #expect(run.status == 64, "\(run.errors)")
        #expect(run.errors.contains("--filename '\(template)'") && run.errors.contains(problem), "\(run.errors)")
        #expect(Self.contents(of: dir) == ["song.wav"])
    }

    @Test func twoInputsWithTheSameNameAreRefusedInsteadOfOverwritingEachOther() throws {
        let dir = try Self.folderWithSong()
        try FileManager.default.createDirectory(atPath: dir.path("b"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: dir.path("song.wav"), toPath: dir.path("b/song.wav"))
        let run = try CLI.run([
            "separate", dir.path("song.wav"), dir.path("b/song.wav"), "--weights", CLI.smallModel.path, "-o", dir.path("out"),
        ])
        #expect(run.status == 64, "\(run.errors)")
        #expect(run.errors.contains("one would overwrite the other"), "\(run.errors)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("out")))
    }

    @Test func placeholdersInATrackNameAreNotExpanded() throws {
        let dir = try TemporaryDirectory()
        try AudioFile.write(SeparateCommandTests.song(rate: 44_100), to: dir.path("a{stem}b.wav"), format: .wav16)
        let run = try CLI.run(["separate", dir.path("a{stem}b.wav"), "--weights", CLI.smallModel.path, "-o", dir.path("out")])
        #expect(run.status == 0, "\(run.errors)")
        let folder = dir.path("out/5f0a1e01-754fa305/a{stem}b")
        #expect((try? FileManager.default.contentsOfDirectory(atPath: folder).sorted())
            == ["bass.wav", "drums.wav", "other.wav", "vocals.wav"])
    }

    @Test func anOutputThatIsAFIFOIsRefusedAndKept() throws {
        let dir = try Self.folderWithSong()
        #expect(mkfifo(dir.path("remix.wav"), 0o644) == 0)
        let run = try CLI.run(["mix", dir.path("song.wav"), "--weights", CLI.smallModel.path, "-o", dir.path("remix.wav")])
        #expect(run.status == 73, "\(run.errors)")
        #expect(run.errors.contains("remix.wav: exists and is not a regular file"), "\(run.errors)")
        var info = stat()
        #expect(stat(dir.path("remix.wav"), &info) == 0 && info.st_mode & S_IFMT == S_IFIFO)
    }

    @Test func aStemPathThatIsNotARegularFileIsRefusedBeforeSeparating() throws {
        let dir = try Self.folderWithSong()
        let folder = dir.path("out/5f0a1e01-754fa305/song")
        try FileManager.default.createDirectory(atPath: folder + "/bass.wav", withIntermediateDirectories: true)
        let run = try CLI.run(["separate", dir.path("song.wav"), "--weights", CLI.smallModel.path, "-o", dir.path("out")])
        #expect(run.status == 73, "\(run.errors)")
        #expect(run.errors.contains("bass.wav: exists and is not a regular file"), "\(run.errors)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["bass.wav"])
    }

    @Test(arguments: ["/dev/zero", "fifo"])
    func weightsThatAreNotARegularFileSaySoAndExit78(weights: String) throws {
        let dir = try Self.folderWithSong()
        let path = weights == "fifo" ? dir.path("model.th") : weights
        if weights == "fifo" { #expect(mkfifo(path, 0o644) == 0) }
        // `timeout`: reading a FIFO with no writer blocks for ever.
        let run = try spawn(
            ["timeout", "60", CLI.executable.path, "separate", dir.path("song.wav"), "--weights", path],
            environment: CLI.merged([:]))
        #expect(run.status == 78, "\(run.errors)")
        #expect(run.errors.contains("\(path): not a regular file"), "\(run.errors)")
    }

    @Test func aFileNameThatIsNotUTF8IsOpenedAndSeparated() throws {
        let dir = try Self.folderWithSong()
        // Byte 0xFF is never UTF-8; the shell passes it through as it is.
        #expect(try spawn(["sh", "-c", "mv \"$1\" \"$(printf '%s/\\377.wav' \"$2\")\"", "sh", dir.path("song.wav"), dir.url.path],
                      capture: false).status == 0)
        let run = try spawn(
            ["sh", "-c", "exec \"$1\" separate \"$(printf '%s/\\377.wav' \"$2\")\" --weights \"$3\" -o \"$2/out\"", "sh",
             CLI.executable.path, dir.url.path, CLI.smallModel.path],
            environment: CLI.merged([:]))
        #expect(run.status == 0, "\(run.errors)")
        #expect(!run.errors.contains("No such file"), "\(run.errors)")
        let stems = try FileManager.default.contentsOfDirectory(atPath: dir.path("out/5f0a1e01-754fa305/\u{FFFD}"))
        #expect(stems.sorted() == ["bass.wav", "drums.wav", "other.wav", "vocals.wav"])
    }
}
