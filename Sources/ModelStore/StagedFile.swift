import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file being written beside its final place (`.NAME.XXXXXX.part` in the same
/// directory): bytes are hashed as they arrive, and the file takes its real name
/// (fsync, rename, directory fsync) only when the hash matches. Anything else removes
/// the temporary file, so a weights directory never holds a half-written model.
final class StagedFile {
    let destination: URL
    let temporaryPath: String
    private var descriptor: Int32
    private var hasher = SHA256()
    private(set) var byteCount: Int64 = 0

    /// Writes a file for `destination` through `fill`, then installs it if its sha256
    /// starts with `expectedPrefix`.
    static func install(
        _ destination: URL, expectedPrefix: String, fill: (StagedFile) throws(ModelStoreError) -> Void
    ) throws(ModelStoreError) {
        let staged = try StagedFile(destination: destination)
        do {
            try fill(staged)
            try staged.commit(expectedPrefix: expectedPrefix)
        } catch {
            staged.discard()
            throw error
        }
    }

    private init(destination: URL) throws(ModelStoreError) {
        self.destination = destination
        let directory = destination.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw .fileSystem(path: directory.path, operation: "creating the directory", reason: "\(error.localizedDescription)")
        }
        let letters = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        while true {
            let tag = String((0..<6).map { _ in letters.randomElement()! })
            let candidate = directory.appendingPathComponent(".\(destination.lastPathComponent).\(tag).part").path
            let fd = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd >= 0 {
                temporaryPath = candidate
                descriptor = fd
                return
            }
            guard errno == EEXIST else {
                throw .fileSystem(path: candidate, operation: "creating a temporary file", reason: Self.lastError())
            }
        }
    }

    /// Appends and hashes `bytes`.
    func append(_ bytes: UnsafeRawBufferPointer) throws(ModelStoreError) {
        hasher.update(bufferPointer: bytes)
        var offset = 0
        while offset < bytes.count {
            let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw .fileSystem(path: temporaryPath, operation: "writing", reason: Self.lastError())
            }
            offset += written
        }
        byteCount += Int64(bytes.count)
    }

    private func commit(expectedPrefix: String) throws(ModelStoreError) {
        let actual = hasher.finalize().hexString
        guard actual.hasPrefix(expectedPrefix) else {
            throw .checksumMismatch(file: destination.lastPathComponent, expected: expectedPrefix, actual: actual)
        }
        guard fsync(descriptor) == 0 else { throw .fileSystem(path: temporaryPath, operation: "fsync", reason: Self.lastError()) }
        let fd = descriptor
        descriptor = -1
        guard close(fd) == 0 else { throw .fileSystem(path: temporaryPath, operation: "close", reason: Self.lastError()) }
        guard rename(temporaryPath, destination.path) == 0 else {
            throw .fileSystem(path: destination.path, operation: "renaming \(temporaryPath)", reason: Self.lastError())
        }
        let directory = open(destination.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { return }
        // The file is in place; a directory that cannot be synced only weakens crash safety.
        _ = fsync(directory)
        close(directory)
    }

    /// Closes and removes the temporary file (after a failure).
    private func discard() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
        unlink(temporaryPath)
    }

    private static func lastError() -> String { String(cString: strerror(errno)) }
}

extension Sequence<UInt8> {
    /// Lowercase hex digits, two per byte.
    var hexString: String { map { String(format: "%02x", $0) }.joined() }
}

/// Reads a file in 1 MiB chunks, so hashing or copying a model never holds it whole.
func forEachChunk(
    of url: URL, _ body: (UnsafeRawBufferPointer) throws(ModelStoreError) -> Void
) throws(ModelStoreError) {
    let fd = open(url.path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw .fileSystem(path: url.path, operation: "opening", reason: String(cString: strerror(errno))) }
    defer { close(fd) }
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
    defer { buffer.deallocate() }
    while true {
        let count = read(fd, buffer.baseAddress!, buffer.count)
        if count < 0 {
            if errno == EINTR { continue }
            throw .fileSystem(path: url.path, operation: "reading", reason: String(cString: strerror(errno)))
        }
        if count == 0 { return }
        try body(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
    }
}

/// The lowercase hex sha256 of a file's contents.
func sha256Hex(of url: URL) throws(ModelStoreError) -> String {
    var hasher = SHA256()
    try forEachChunk(of: url) { hasher.update(bufferPointer: $0) }
    return hasher.finalize().hexString
}
