import Foundation
import Testing
@testable import AudioIO

/// The writer runs on its real path — libsndfile, virtual I/O, write(2) on a
/// temporary file — over a sink whose device "fills up" after `capacity` bytes,
/// answering short writes and ENOSPC as a full disk does.
@Suite("Atomic writes")
struct AtomicWriteTests {
    let song = sine(frequency: 440, sampleRate: 44_100, frames: 44_100)

    @Test(
        "A full disk leaves the old file untouched and no temporary file",
        arguments: [AudioFileFormat.wav16, .wavFloat32, .flac24, .mp3])
    func fullDiskKeepsOldFile(format: AudioFileFormat) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("vocals.\(format.fileExtension)")
        let old: [UInt8] = Array("previous contents".utf8)
        try WAVBytes.write(old, to: path)

        #expect {
            try AudioFile.write(song, to: path, format: format, capacity: 20_000)
        } throws: { error in
            (error as? AudioIOError)?.description
                == "\(path): could not write (No space left on device); nothing was written"
        }
        #expect(try Array(Data(contentsOf: URL(fileURLWithPath: path))) == old)
        #expect(try dir.contents() == ["vocals.\(format.fileExtension)"])
    }

    @Test("A full disk with no old file leaves nothing")
    func fullDiskLeavesNothing() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }

        #expect(throws: AudioIOError.self) {
            try AudioFile.write(song, to: dir.file("drums.wav"), format: .wav24, capacity: 1000)
        }
        #expect(try dir.contents().isEmpty)
    }

    /// libsndfile's MP3 encoder writes its last frames and ID3v1 trailer in
    /// `sf_close` and ignores short writes there; only the sink sees the failure.
    @Test("A disk that fills inside sf_close still fails cleanly")
    func fullDiskAtClose() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("bass.mp3")
        try AudioFile.write(song, to: path, format: .mp3)
        let size = try Data(contentsOf: URL(fileURLWithPath: path)).count
        try FileManager.default.removeItem(atPath: path)

        #expect {
            try AudioFile.write(song, to: path, format: .mp3, capacity: Int64(size - 1))
        } throws: { error in
            (error as? AudioIOError)?.reason == .writeFailed("No space left on device")
        }
        #expect(try dir.contents().isEmpty)
    }

    @Test("A successful write replaces the old file and leaves no temporary file")
    func replaces() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("other.flac")
        try WAVBytes.write(Array("old".utf8), to: path)

        try AudioFile.write(song, to: path, format: .flac16)

        #expect(try AudioFile.read(path).audio.frameCount == song.frameCount)
        #expect(try dir.contents() == ["other.flac"])
    }

    @Test("A missing directory is a write error naming the file")
    func missingDirectory() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("no/such/dir/x.wav")

        #expect {
            try AudioFile.write(song, to: path, format: .wav16)
        } throws: { error in
            guard let error = error as? AudioIOError, case .writeFailed = error.reason else { return false }
            return error.description.hasPrefix(path) && error.description.hasSuffix("nothing was written")
        }
    }

    @Test("A directory in the way is not replaced and no temporary file remains")
    func directoryInTheWay() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("stem.wav")
        try FileManager.default.createDirectory(atPath: path + "/inside", withIntermediateDirectories: true)

        #expect(throws: AudioIOError.self) {
            try AudioFile.write(song, to: path, format: .wav16)
        }
        #expect(try dir.contents() == ["stem.wav"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: path) == ["inside"])
    }

    @Test("A format libsndfile cannot write is refused before any file is made")
    func unwritableFormat() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let empty = AudioBuffer(sampleRate: 44_100, channels: [])

        #expect(throws: AudioIOError.self) {
            try AudioFile.write(empty, to: dir.file("none.wav"), format: .wav16)
        }
        #expect(try dir.contents().isEmpty)
    }
}
