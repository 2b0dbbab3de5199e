#if canImport(Glibc)
import Glibc
#endif

/// Float32 samples in a file mapped into memory: the pages belong to the file, so the
/// kernel can write them out and drop them under memory pressure, and a track of any
/// length costs address space and disk, not anonymous memory.
///
/// `@unchecked Sendable`: the mapping lives as long as the object, and who writes which
/// part when is the owner's rule (see `StemStore`).
public final class MappedFloats: @unchecked Sendable {
    /// The mapped samples.
    public let buffer: UnsafeMutableBufferPointer<Float>
    private let descriptor: Int32
    private let mappedBytes: Int

    /// Where unnamed working files go: `$TMPDIR`, else `/tmp`.
    public static var temporaryDirectory: String {
        getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
    }

    /// Why a mapping could not be made.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// `count` zero samples in a new file in `directory` that has no name (it is gone when
    /// the process ends, however it ends). Its disk space is reserved at once, so a full
    /// disk is an error here rather than a fault when a page is first written.
    public convenience init(count: Int, temporaryIn directory: String) throws(Failure) {
        var fd = open(directory, Self.temporaryFileFlag | O_RDWR | O_CLOEXEC, 0o600)
        if fd < 0 {
            // File systems without O_TMPFILE: a named file, unlinked at once.
            var template = Array("\(directory)/.demixer-XXXXXX".utf8CString)
            fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            guard fd >= 0 else { throw Self.failure("creating a temporary file in \(directory)") }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        }
        if count > 0 {
            let result = posix_fallocate(fd, 0, off_t(count * 4))
            guard result == 0 else {
                close(fd)
                throw Failure(description: "reserving \(count * 4) bytes in \(directory): \(String(cString: strerror(result)))")
            }
        }
        try self.init(owning: fd, offset: 0, count: count)
    }

    /// `count` samples of the open file `descriptor` from byte `offset` (a multiple of the
    /// page size); the file must already be that long. The descriptor is duplicated, so
    /// the caller keeps its own.
    public convenience init(fileDescriptor: Int32, offset: Int, count: Int) throws(Failure) {
        let fd = fcntl(fileDescriptor, F_DUPFD_CLOEXEC, 0)
        guard fd >= 0 else { throw Self.failure("duplicating a file descriptor") }
        try self.init(owning: fd, offset: offset, count: count)
    }

    private init(owning fd: Int32, offset: Int, count: Int) throws(Failure) {
        precondition(count >= 0 && offset >= 0, "a mapping needs a size")
        descriptor = fd
        mappedBytes = max(count * 4, 1)
        guard let address = mmap(nil, mappedBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off_t(offset)),
            address != MAP_FAILED
        else {
            let failure = Self.failure("mapping \(count * 4) bytes")
            close(fd)
            throw failure
        }
        buffer = UnsafeMutableBufferPointer(start: address.assumingMemoryBound(to: Float.self), count: count)
    }

    deinit {
        munmap(buffer.baseAddress, mappedBytes)
        close(descriptor)
    }

    /// Writes the samples to the disk and waits for it: after this, a crash or power
    /// loss keeps them.
    public func synchronize() throws(Failure) {
        guard fdatasync(descriptor) == 0 else { throw Self.failure("syncing mapped samples") }
    }

    /// Tells the kernel the samples `range` are not needed soon: their pages, already
    /// written to the file, leave memory first.
    public func release(_ range: Range<Int>) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let first = (range.lowerBound * 4 + page - 1) / page * page
        let last = range.upperBound * 4 / page * page
        guard first < last else { return }
        _ = madvise(UnsafeMutableRawPointer(buffer.baseAddress!) + first, last - first, MADV_DONTNEED)
    }

    /// Linux's `O_TMPFILE` (`__O_TMPFILE | O_DIRECTORY`), which Glibc's module does not export.
    private static let temporaryFileFlag: Int32 = 0o20_000_000 | O_DIRECTORY

    private static func failure(_ action: String) -> Failure {
        Failure(description: "\(action): \(String(cString: strerror(errno)))")
    }
}
