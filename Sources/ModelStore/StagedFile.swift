import AtomicFiles
import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A model file being written beside its final place: bytes are hashed as they
/// arrive, and the file takes its real name only when the hash matches. Anything else
/// removes the temporary file, so a weights directory never holds a half-written model.
final class StagedFile {
    let destination: URL
    private let staged: StagedWrite
    private var hasher = SHA256()
    private(set) var byteCount: Int64 = 0

    /// Writes a file for `destination` through `fill`, then installs it if its sha256
    /// starts with `expectedPrefix`.
    static func install(
        _ destination: URL, expectedPrefix: String, fill: (StagedFile) throws(ModelStoreError) -> Void
    ) throws(ModelStoreError) {
        let directory = destination.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw .fileSystem(path: directory.path, operation: "creating the directory", reason: "\(error.localizedDescription)")
        }
        let file: StagedFile
        do {
            file = StagedFile(destination: destination, staged: try StagedWrite(destination: destination.path))
        } catch {
            throw ModelStoreError(error)
        }
        do {
            try fill(file)
            try file.commit(expectedPrefix: expectedPrefix)
        } catch {
            file.staged.discard()
            throw error
        }
    }

    private init(destination: URL, staged: StagedWrite) {
        self.destination = destination
        self.staged = staged
    }

    /// Appends and hashes `bytes`.
    func append(_ bytes: UnsafeRawBufferPointer) throws(ModelStoreError) {
        hasher.update(bufferPointer: bytes)
        do {
            try staged.append(bytes)
        } catch {
            throw ModelStoreError(error)
        }
        byteCount += Int64(bytes.count)
    }

    private func commit(expectedPrefix: String) throws(ModelStoreError) {
        let actual = hasher.finalize().hexString
        guard actual.hasPrefix(expectedPrefix) else {
            throw .checksumMismatch(file: destination.lastPathComponent, expected: expectedPrefix, actual: actual)
        }
        do {
            try staged.commit()
        } catch {
            throw ModelStoreError(error)
        }
        // The file is in place; a directory that cannot be synced only weakens crash safety.
        try? staged.syncDirectory()
    }
}

extension ModelStoreError {
    init(_ failure: FileFailure) {
        self = .fileSystem(path: failure.path, operation: failure.operation, reason: failure.reason)
    }
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
