import CSndfile
import Foundation
import Testing
@testable import AudioIO

/// Inputs that used to give a misleading message, and the specific one each gives now.
@Suite("Specific messages for bad input")
struct MessageTests {
    let song = sine(frequency: 440, sampleRate: 44_100, frames: 44_100)

    private func readError(_ path: String) -> AudioIOError? {
        do {
            _ = try AudioFile.read(path)
            return nil
        } catch {
            return error
        }
    }

    @Test("A truncated MP3 is called truncated or corrupt, not 'possibly a pipe?'")
    func truncatedMP3() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("cut.mp3")
        try AudioFile.write(song, to: path, format: .mp3)
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        // 200 bytes: enough for libsndfile to recognise MPEG, too few for mpg123 to decode.
        try WAVBytes.write(Array(bytes.prefix(200)), to: path)

        let error = try #require(readError(path))

        #expect(error.reason == .truncatedOrCorrupt)
        #expect(error.description == "\(path): truncated or corrupt: the audio data after its header cannot be decoded")
    }

    @Test("A device is refused as not a regular file", arguments: ["/dev/zero", "/dev/null"])
    func deviceIsRefused(device: String) {
        #expect(readError(device) == AudioIOError(path: device, reason: .notRegularFile("a character device")))
        #expect(readError(device)?.description
            == "\(device): not a regular file (it is a character device); audio is read from files and pipes only")
    }

    @Test("A directory is refused as not a regular file")
    func directoryIsRefused() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        #expect(readError(dir.path) == AudioIOError(path: dir.path, reason: .notRegularFile("a directory")))
    }

    @Test("A missing file says the system's reason")
    func missingFile() {
        #expect(readError("/nonexistent/song.flac")?.description
            == "/nonexistent/song.flac: cannot be opened (No such file or directory)")
    }

    /// Swift's command line turns bytes that are not UTF-8 into U+FFFD, so the name
    /// that arrives is not the file's; it must not pass for a plain missing file.
    @Test("A file name that is not UTF-8 gets its own message")
    func nonUTF8Name() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let raw = Array("\(dir.path)/caf".utf8) + [0xE9] + Array(".wav".utf8)  // Latin-1 "café.wav"
        let fd = (raw + [0]).withUnsafeBufferPointer { name in
            name.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_WRONLY | O_CREAT | O_EXCL, 0o600) }
        }
        try #require(fd >= 0)
        close(fd)
        defer { _ = (raw + [0]).withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { unlink($0.baseAddress!) } } }
        let given = String(decoding: raw, as: UTF8.self)

        let error = try #require(readError(given))

        #expect(error.reason == .nameNotUTF8)
        #expect(error.description.hasPrefix("\(given): no such file; its name as given contains U+FFFD"))
    }

    @Test(
        "Non-finite samples are written as 0 and counted, in every format",
        arguments: [AudioFileFormat.flac16, .flac24, .wav16, .wavFloat32])
    func nonFiniteSamplesAreWrittenAsZero(format: AudioFileFormat) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("stem.\(format.fileExtension)")
        // More than one 65 536-frame block; channel 0 all NaN.
        var audio = sine(frequency: 440, sampleRate: 44_100, frames: 70_000)
        audio.channels[0] = [Float](repeating: .nan, count: 70_000)
        audio.channels[1][5] = .infinity
        audio.channels[1][6] = -.infinity

        let replaced = try AudioFile.write(audio, to: path, format: format)

        #expect(replaced == 70_002)
        let decoded = try AudioFile.read(path).audio
        #expect(decoded.channels[0].allSatisfy { $0 == 0 })
        #expect(decoded.channels[1][5] == 0 && decoded.channels[1][6] == 0)
        #expect(maxDifference(decoded.channels[1], audio.channels[1].map { $0.isFinite ? $0 : 0 }) <= 1 / 32768)
    }

    @Test("libsndfile's 'No Error' never stands for the reason of a failure")
    func noErrorIsNotAReason() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let fd = open(dir.file("x.wav"), O_RDWR | O_CREAT, 0o600)
        defer { close(fd) }
        var info = SF_INFO()
        info.samplerate = 44_100
        info.channels = 2
        info.format = AudioFileFormat.wav16.sndfileFormat
        let file = try SoundFile(writingTo: FileSink(fd: fd), info: info, path: "x.wav")

        #expect(file.lastError == "no reason given")
        try file.close()
    }
}
