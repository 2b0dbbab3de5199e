@testable import AtomicFiles
import Foundation
import Testing
@testable import AudioIO

/// What a write may replace, and what it leaves behind when it does not finish.
@Suite("Write destinations and temporary files")
struct DestinationTests {
    let song = sine(frequency: 440, sampleRate: 44_100, frames: 4410)

    /// The type of `path` itself (not what a link points to).
    private func fileType(_ path: String) throws -> FileAttributeType? {
        try FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType
    }

    private func expectRefused(_ path: String, kind: String) {
        #expect {
            try AudioFile.write(song, to: path, format: .wav16)
        } throws: { error in
            (error as? AudioIOError)?.description == "\(path): could not write (replacing the existing file: "
                + "it is \(kind), and only regular files are replaced); nothing was written"
        }
    }

    @Test("A FIFO at the destination is refused and stays a FIFO")
    func fifoIsNotReplaced() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("stem.wav")
        #expect(mkfifo(path, 0o600) == 0)

        expectRefused(path, kind: "a FIFO")

        #expect(try fileType(path) != .typeRegular)
        #expect(try dir.contents() == ["stem.wav"])
    }

    @Test("A symbolic link at the destination is refused; the link and its target stay as they were")
    func symlinkIsNotReplacedNorFollowed() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.file("out"), withIntermediateDirectories: false)
        let target = dir.file("outside.wav")
        try WAVBytes.write(Array("not to be touched".utf8), to: target)
        let link = dir.file("out/stem.wav")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "../outside.wav")

        expectRefused(link, kind: "a symbolic link")

        #expect(try fileType(link) == .typeSymbolicLink)
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == Data("not to be touched".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("out")) == ["stem.wav"])
    }

    @Test(
        "A device node at the destination (a copy of /dev/null or /dev/full) is refused and stays a device",
        .enabled(if: getuid() == 0, "making a device node needs root"),
        arguments: ["/dev/null", "/dev/full"])
    func deviceNodeIsNotReplaced(device: String) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var original = stat()
        try #require(stat(device, &original) == 0)
        let path = dir.file("copy-of-device.wav")
        try #require(mknod(path, S_IFCHR | 0o666, original.st_rdev) == 0)

        expectRefused(path, kind: "a character device")

        #expect(try fileType(path) == .typeCharacterSpecial)
        #expect(try dir.contents() == ["copy-of-device.wav"])
    }

    @Test("A directory at the destination is refused with the same reason")
    func directoryIsNotReplaced() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("stem.wav")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)

        expectRefused(path, kind: "a directory")
    }

    @Test("Leftovers of killed writes are listed with their size and removable; live writes and other files are not listed")
    func staleTemporariesAreFoundAndRemoved() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let leftover = dir.file(".vocals.wav.Ab3xYz.tmp")
        try WAVBytes.write([UInt8](repeating: 7, count: 1234), to: leftover)
        for other in ["vocals.wav", ".notes.tmp", ".vocals.wav.short.tmp", ".vocals.wav.Ab3x-z.tmp"] {
            try WAVBytes.write([1, 2, 3], to: dir.file(other))
        }
        let live = try StagedWrite(destination: dir.file("drums.wav"))
        try live.append(contentsOf: [1, 2, 3])

        let stale = StagedWrite.staleTemporaries(in: dir.path)

        #expect(stale == [StaleTemporary(path: leftover, destinationName: "vocals.wav", size: 1234)])
        try stale[0].remove()
        #expect(!FileManager.default.fileExists(atPath: leftover))
        #expect(FileManager.default.fileExists(atPath: live.temporaryPath))
        live.discard()
    }

    /// Through `discardLive(where:)`, the core of `discardAllLive()`, limited to this
    /// test's folder: other tests in the process write files at the same time.
    @Test("Discarding live writes removes their temporary files, and a later commit fails instead of installing a part")
    func discardAllLiveRemovesTemporaries() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let writes = try ["a.wav", "b.flac"].map { name in
            let write = try StagedWrite(destination: dir.file(name))
            try write.append(contentsOf: Array("partial".utf8))
            return write
        }
        #expect(try dir.contents().count == 2)

        #expect(StagedWrite.discardLive { $0.hasPrefix(dir.path + "/") }.isEmpty)

        #expect(try dir.contents().isEmpty)
        #expect(throws: FileFailure.self) { try writes[0].commit() }
        #expect(try dir.contents().isEmpty)
    }
}
