import Testing
@testable import AudioIO

/// An output's extension, container and sample type must agree, checked before any work.
@Suite("Output format from the file name")
struct OutputFormatTests {
    @Test("The extension names the container, in any case")
    func extensionNamesContainer() throws {
        #expect(try AudioFileFormat.container(forPath: "out/m.wav") == .wav)
        #expect(try AudioFileFormat.container(forPath: "M.FLAC") == .flac)
        #expect(try AudioFileFormat.container(forPath: "/a.b/song.Mp3") == .mp3)
    }

    @Test(
        "An unknown or missing extension is refused, naming the supported ones",
        arguments: [("m.ogg", "ogg"), ("out/mix", ""), ("a.wav/mix", ""), (".wav", ""), ("mix.", "")])
    func unknownExtensionIsRefused(path: String, ext: String) {
        #expect {
            _ = try AudioFileFormat.container(forPath: path)
        } throws: { error in
            (error as? AudioIOError) == AudioIOError(path: path, reason: .unknownExtension(ext))
                && "\(error)".hasSuffix("; use one of .wav, .flac, .mp3")
        }
    }

    @Test("The chosen format and the extension must agree")
    func mismatchIsRefused() {
        #expect {
            _ = try AudioFileFormat.forOutput(path: "m.flac", container: .wav, type: nil)
        } throws: { error in
            "\(error)" == "m.flac: the extension '.flac' does not match the chosen format wav; "
                + "use '.wav' or drop the format option"
        }
        #expect(throws: AudioIOError.self) { try AudioFileFormat.forOutput(path: "m.ogg", container: .wav, type: nil) }
    }

    @Test("Without a chosen format the extension decides; without a path the choice does, WAV by default")
    func formatFollowsPathOrChoice() throws {
        #expect(try AudioFileFormat.forOutput(path: "m.flac", container: nil, type: .int24) == .flac24)
        #expect(try AudioFileFormat.forOutput(path: "m.MP3", container: .mp3, type: nil) == .mp3)
        #expect(try AudioFileFormat.forOutput(path: nil, container: nil, type: .float32) == .wavFloat32)
        #expect(try AudioFileFormat.forOutput(path: nil, container: .flac, type: nil) == .flac16)
    }

    @Test("32-bit float FLAC and a sample type for MP3 are refused before any work")
    func impossibleSampleTypesAreRefused() {
        #expect {
            _ = try AudioFileFormat.forOutput(path: "mix.flac", container: nil, type: .float32)
        } throws: { error in
            "\(error)" == "mix.flac: FLAC cannot store 32-bit float samples; it stores 16-bit or 24-bit"
        }
        #expect {
            _ = try AudioFileFormat(.mp3, type: .int24)
        } throws: { error in
            "\(error)" == "MP3 has no sample format to choose (it is always 320 kbit/s)"
        }
    }

    @Test("Every format round-trips through its container and sample type")
    func everyFormatIsReachable() throws {
        let types: [AudioFileFormat: AudioFileFormat.SampleType?] = [
            .wav16: .int16, .wav24: .int24, .wavFloat32: .float32, .flac16: .int16, .flac24: .int24, .mp3: nil,
        ]
        for format in AudioFileFormat.allCases {
            #expect(try AudioFileFormat(format.container, type: types[format]!) == format)
        }
    }

    @Test("Writing refuses a path whose extension names another format, and writes nothing")
    func writeRefusesMismatchedExtension() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let audio = sine(frequency: 440, sampleRate: 44_100, frames: 100)

        #expect(throws: AudioIOError(path: dir.file("m.ogg"), reason: .unknownExtension("ogg"))) {
            try AudioFile.write(audio, to: dir.file("m.ogg"), format: .wav16)
        }
        #expect(throws: AudioIOError(path: dir.file("m.flac"), reason: .extensionMismatch(extension: "flac", chosen: .wav))) {
            try AudioFile.write(audio, to: dir.file("m.flac"), format: .wav24)
        }
        #expect(try dir.contents().isEmpty)
    }
}
