import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file written beside its destination under a hidden temporary name
/// (`.NAME.XXXXXX.tmp`, same directory, so the same filesystem) and renamed over it
/// only once complete and synced: readers see the old file or the whole new one,
/// never a part. Whatever is not committed is removed by `discard()` or on deinit.
///
/// Only a regular file (or nothing) is ever replaced: a directory, device, FIFO,
/// socket or symbolic link at the destination is refused, so a write never lands on
/// a device node and never goes through a link to somewhere else.
///
/// While a write is live its temporary file holds an exclusive `flock`, which tells
/// it apart from the leftovers of a killed process (see ``staleTemporaries(in:)``).
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
    /// Throws if `destination` exists and is not a regular file.
    public init(destination: String, permissions: mode_t = 0o644) throws(FileFailure) {
        self.destination = destination
        try Self.checkReplaceable(destination)
        let directory = Self.directory(of: destination)
        let name = destination.split(separator: "/").last.map(String.init) ?? destination
        while true {
            let tag = String(decoding: (0..<Self.tagLength).map { _ in Self.tagLetters.randomElement()! }, as: UTF8.self)
            let candidate = "\(directory)/.\(name).\(tag).tmp"
            let fd = open(candidate, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, permissions)
            if fd >= 0 {
                flock(fd, LOCK_EX | LOCK_NB)  // a fresh file: nobody else can hold it
                temporaryPath = candidate
                descriptor = fd
                Self.live.withLock { _ = $0.insert(candidate) }
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

    /// Syncs and closes the temporary file and renames it to `destination`, checking
    /// again that nothing but a regular file has appeared there meanwhile.
    public func commit() throws(FileFailure) {
        guard fsync(descriptor) == 0 else { throw FileFailure(path: temporaryPath, operation: "fsync", code: errno) }
        try Self.checkReplaceable(destination)
        let fd = descriptor
        descriptor = -1
        guard close(fd) == 0 else { throw FileFailure(path: temporaryPath, operation: "close", code: errno) }
        guard rename(temporaryPath, destination) == 0 else {
            throw FileFailure(path: destination, operation: "renaming \(temporaryPath)", code: errno)
        }
        isCommitted = true
        Self.live.withLock { _ = $0.remove(temporaryPath) }
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
        Self.live.withLock { _ = $0.remove(temporaryPath) }
        return Self.removeTemporary(temporaryPath)
    }

    // MARK: interrupted writes

    /// Temporary paths of the writes in progress in this process.
    private static let live = Mutex<Set<String>>([])

    /// Removes the temporary file of every write in progress in this process, for a
    /// program that is stopping on a signal: call it from ordinary code (not from the
    /// signal handler) once the handler's flag is seen. Descriptors stay open for
    /// their owners; a later `commit()` of such a write fails, so nothing half-written
    /// is ever installed. Returns the removals that failed.
    @discardableResult
    public static func discardAllLive() -> [FileFailure] {
        discardLive { _ in true }
    }

    /// ``discardAllLive()`` for the temporary paths `selected` picks.
    static func discardLive(where selected: (String) -> Bool) -> [FileFailure] {
        let paths = live.withLock { paths in
            let chosen = paths.filter(selected)
            paths.subtract(chosen)
            return chosen
        }
        return paths.sorted().compactMap(removeTemporary)
    }

    /// The temporary files in `directory` left by writes that never finished (their
    /// process was killed): names of the form `.NAME.XXXXXX.tmp` that are regular
    /// files no live write holds. Sorted by path; an unreadable directory has none.
    public static func staleTemporaries(in directory: String) -> [StaleTemporary] {
        guard let stream = opendir(directory) else { return [] }
        defer { closedir(stream) }
        var found: [StaleTemporary] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(validatingCString: $0.baseAddress!.assumingMemoryBound(to: CChar.self)) }
            guard let name, let destinationName = destinationName(ofTemporary: name) else { continue }
            let path = directory.hasSuffix("/") ? directory + name : "\(directory)/\(name)"
            let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            var status = stat()
            guard fstat(fd, &status) == 0, nonRegularFileKind(status.st_mode) == nil,
                flock(fd, LOCK_EX | LOCK_NB) == 0
            else { continue }
            found.append(StaleTemporary(path: path, destinationName: destinationName, size: Int64(status.st_size)))
        }
        return found.sorted { $0.path < $1.path }
    }

    /// The random tag in a temporary name: `tagLength` of `tagLetters`.
    private static let tagLetters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
    private static let tagLength = 6

    /// `NAME` of a temporary name `.NAME.XXXXXX.tmp`, nil for any other name.
    static func destinationName(ofTemporary name: String) -> String? {
        let bytes = Array(name.utf8)
        let tail = 1 + tagLength + 4  // ".XXXXXX.tmp"
        guard bytes.count > 1 + tail, bytes[0] == UInt8(ascii: "."), name.hasSuffix(".tmp") else { return nil }
        let tag = bytes[(bytes.count - tail)..<(bytes.count - 4)]
        guard tag.first == UInt8(ascii: "."), tag.dropFirst().allSatisfy(tagLetters.contains) else { return nil }
        return String(decoding: bytes[1..<(bytes.count - tail)], as: UTF8.self)
    }

    // MARK: helpers

    /// Refuses a destination that exists and is not a regular file. Other `lstat`
    /// failures (a missing directory) are left to the calls that follow to report.
    private static func checkReplaceable(_ destination: String) throws(FileFailure) {
        var status = stat()
        guard lstat(destination, &status) == 0, let kind = nonRegularFileKind(status.st_mode) else { return }
        throw FileFailure(
            path: destination, operation: "replacing the existing file", code: EEXIST,
            explanation: "it is \(kind), and only regular files are replaced")
    }

    /// Unlinks a temporary file; a file already gone is not a failure.
    static func removeTemporary(_ path: String) -> FileFailure? {
        guard unlink(path) == 0 || errno == ENOENT else {
            return FileFailure(path: path, operation: "removing the temporary file", code: errno)
        }
        return nil
    }

    private static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}

/// A temporary file of a write that never finished, as ``StagedWrite/staleTemporaries(in:)`` finds it.
public struct StaleTemporary: Sendable, Equatable {
    public let path: String
    /// The name of the file the write was to replace (without its directory).
    public let destinationName: String
    /// Bytes it holds.
    public let size: Int64

    /// Deletes it.
    public func remove() throws(FileFailure) {
        if let failure = StagedWrite.removeTemporary(path) { throw failure }
    }
}

/// "a directory", "a FIFO", … for a file mode that is not a regular file; nil for a
/// regular file. For messages that say why a path was refused.
public func nonRegularFileKind(_ mode: mode_t) -> String? {
    switch mode & S_IFMT {
    case S_IFREG: nil
    case S_IFDIR: "a directory"
    case S_IFLNK: "a symbolic link"
    case S_IFCHR: "a character device"
    case S_IFBLK: "a block device"
    case S_IFIFO: "a FIFO"
    case S_IFSOCK: "a socket"
    default: "not a regular file"
    }
}

/// A failed file-system call: where, what, and the `errno` it gave.
public struct FileFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var operation: String
    public var code: Int32
    /// Said instead of the system's text for `code`, when Demixer itself refused.
    public var explanation: String?

    public init(path: String, operation: String, code: Int32, explanation: String? = nil) {
        self.path = path
        self.operation = operation
        self.code = code
        self.explanation = explanation
    }

    /// `explanation`, else the system's text for `code`.
    public var reason: String { explanation ?? String(cString: strerror(code)) }

    public var description: String { "\(path): \(operation) failed: \(reason)" }
}
