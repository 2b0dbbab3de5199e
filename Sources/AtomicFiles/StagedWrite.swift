#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file written beside its destination under a hidden temporary name
/// (`.NAME.XXXXXX.tmp`, same directory, so the same filesystem) and renamed over it
/// only once complete and synced: readers see the old file or the whole new one,
/// never a part. Whatever is not committed is removed by `discard()` or on deinit.
public final class StagedWrite {
    /// The path the file takes when committed.
    public let destination: String
    /// The hidden temporary file being written.
    public let temporaryPath: String
    /// The temporary file's descriptor, open for reading and writing until `commit()`;
    /// for writers such as libsndfile that need one. Not to be closed by the caller.
    public private(set) var descriptor: Int32
    private var isCommitted = false

    /// Creates the temporary file for `destination`, whose directory must exist.
    /// `permissions` are filtered by the umask, as for any new file.
    public init(destination: String, permissions: mode_t = 0o644) throws(FileFailure) {
        self.destination = destination
        let directory = Self.directory(of: destination)
        let name = destination.split(separator: "/").last.map(String.init) ?? destination
        let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        while true {
            let tag = String((0..<6).map { _ in letters.randomElement()! })
            let candidate = "\(directory)/.\(name).\(tag).tmp"
            let fd = open(candidate, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, permissions)
            if fd >= 0 {
                temporaryPath = candidate
                descriptor = fd
                return
            }
            guard errno == EEXIST else { throw FileFailure(path: directory, operation: "creating a temporary file", code: errno) }
        }
    }

    deinit { if !isCommitted { discard() } }

    /// Writes all of `bytes` at the current offset.
    public func append(_ bytes: UnsafeRawBufferPointer) throws(FileFailure) {
        var offset = 0
        while offset < bytes.count {
            let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw FileFailure(path: temporaryPath, operation: "writing", code: errno)
            }
            offset += written
        }
    }

    /// Writes all of `bytes` over the file from `offset` on, leaving the current offset where it was.
    public func overwrite(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(FileFailure) {
        var done = 0
        while done < bytes.count {
            let written = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            if written < 0 {
                if errno == EINTR { continue }
                throw FileFailure(path: temporaryPath, operation: "writing", code: errno)
            }
            done += written
        }
    }

    /// `append(_:)` for an array of bytes.
    public func append(contentsOf bytes: [UInt8]) throws(FileFailure) {
        try withBytes(bytes) { raw throws(FileFailure) in try append(raw) }
    }

    /// `overwrite(_:at:)` for an array of bytes.
    public func overwrite(contentsOf bytes: [UInt8], at offset: Int64) throws(FileFailure) {
        try withBytes(bytes) { raw throws(FileFailure) in try overwrite(raw, at: offset) }
    }

    private func withBytes(
        _ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(FileFailure) -> Void
    ) throws(FileFailure) {
        let failure: FileFailure? = bytes.withUnsafeBytes { raw in
            do throws(FileFailure) {
                try body(raw)
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
    }

    /// Syncs and closes the temporary file and renames it to `destination`.
    public func commit() throws(FileFailure) {
        guard fsync(descriptor) == 0 else { throw FileFailure(path: temporaryPath, operation: "fsync", code: errno) }
        let fd = descriptor
        descriptor = -1
        guard close(fd) == 0 else { throw FileFailure(path: temporaryPath, operation: "close", code: errno) }
        guard rename(temporaryPath, destination) == 0 else {
            throw FileFailure(path: destination, operation: "renaming \(temporaryPath)", code: errno)
        }
        isCommitted = true
    }

    /// Syncs the destination's directory, so that the rename itself survives a crash.
    public func syncDirectory() throws(FileFailure) {
        let directory = Self.directory(of: destination)
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FileFailure(path: directory, operation: "opening the directory", code: errno) }
        defer { close(fd) }  // read-only descriptor: closing cannot lose data
        guard fsync(fd) == 0 else { throw FileFailure(path: directory, operation: "fsync of the directory", code: errno) }
    }

    /// Closes and removes the temporary file; the destination stays as it was.
    /// Returns the failure to remove it, if any.
    @discardableResult
    public func discard() -> FileFailure? {
        if descriptor >= 0 { close(descriptor) }  // already failing: a close error adds nothing
        descriptor = -1
        isCommitted = true
        guard unlink(temporaryPath) == 0 || errno == ENOENT else {
            return FileFailure(path: temporaryPath, operation: "removing the temporary file", code: errno)
        }
        return nil
    }

    private static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}

/// A failed file-system call: where, what, and the `errno` it gave.
public struct FileFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var operation: String
    public var code: Int32

    public init(path: String, operation: String, code: Int32) {
        self.path = path
        self.operation = operation
        self.code = code
    }

    /// The system's text for `code`.
    public var reason: String { String(cString: strerror(code)) }

    public var description: String { "\(path): \(operation) failed: \(reason)" }
}
