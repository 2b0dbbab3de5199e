import AtomicFiles
import CSndfile

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Owns one libsndfile handle (`SNDFILE*`) and closes it exactly once.
/// Every libsndfile call in AudioIO goes through here.
final class SoundFile {
    private var handle: OpaquePointer?
    /// The descriptor a reader opened; libsndfile reads through it but does not own it.
    private var descriptor: Int32 = -1
    /// The header as libsndfile parsed it (`SF_INFO`). Not to be trusted blindly.
    let info: SF_INFO
    let path: String
    /// Kept alive for as long as libsndfile may call into it.
    private let sink: FileSink?

    /// Opens `path` for reading (``openRegularFile(_:)``, then `sf_open_fd` with `SFM_READ`).
    init(readingFrom path: String) throws(AudioIOError) {
        let fd = try openRegularFile(path)
        var info = SF_INFO()
        guard let handle = sf_open_fd(fd, Int32(SFM_READ), &info, Int32(SF_FALSE)) else {
            let message = String(cString: sf_strerror(nil))
            closeDescriptor(fd)
            // libsndfile's decoders (mpg123 among them) answer a file they cannot parse
            // with "File does not exist or is not a regular file (possibly a pipe?)";
            // it exists and its type was checked above.
            let reason: AudioIOError.Reason = message.hasPrefix("File does not exist or is not a regular file")
                ? .truncatedOrCorrupt : .unreadable(message)
            throw AudioIOError(path: path, reason: reason)
        }
        self.handle = handle
        self.descriptor = fd
        self.info = info
        self.path = path
        self.sink = nil
    }

    /// Starts a file of format `info` that libsndfile writes through `sink`
    /// (`sf_open_virtual`, `SFM_WRITE`). `path` is only for messages.
    init(writingTo sink: FileSink, info: SF_INFO, path: String) throws(AudioIOError) {
        var info = info
        var io = SF_VIRTUAL_IO(
            get_filelen: { FileSink.from($0).length() },
            seek: { offset, whence, sink in FileSink.from(sink).seek(offset, whence) },
            read: { bytes, count, sink in FileSink.from(sink).readBytes(bytes, count) },
            write: { bytes, count, sink in FileSink.from(sink).writeBytes(bytes, count) },
            tell: { FileSink.from($0).position })
        let userData = Unmanaged.passUnretained(sink).toOpaque()
        guard let handle = sf_open_virtual(&io, Int32(SFM_WRITE), &info, userData) else {
            throw AudioIOError(
                path: path, reason: .writeFailed("libsndfile: \(String(cString: sf_strerror(nil)))"))
        }
        self.handle = handle
        self.info = info
        self.path = path
        self.sink = sink
    }

    /// Closes a reader, or abandons a writer on an error path; a finished file
    /// goes through ``close()``, which checks the result.
    deinit {
        if let handle { sf_close(handle) }
        if descriptor >= 0 { closeDescriptor(descriptor) }
    }

    /// libsndfile's message for the last error on this handle (`sf_strerror`), or
    /// a plain "no reason given" where it has none ("No Error" would mislead).
    var lastError: String {
        sf_error(handle) == SF_ERR_NO_ERROR ? "no reason given" : String(cString: sf_strerror(handle))
    }
    /// Whether an error is pending on this handle (`sf_error`).
    var hasError: Bool { sf_error(handle) != SF_ERR_NO_ERROR }

    /// Reads up to `frames` interleaved frames into `buffer` (`sf_readf_float`);
    /// returns how many were read, 0 at the end or on error (see ``hasError``).
    func readFrames(into buffer: UnsafeMutableBufferPointer<Float>, frames: Int) -> Int {
        precondition(buffer.count >= frames * Int(info.channels))
        return max(0, Int(sf_readf_float(handle, buffer.baseAddress, sf_count_t(frames))))
    }

    /// Writes `frames` interleaved frames (`sf_writef_float`); a short count is an error.
    func writeFrames(_ buffer: UnsafeBufferPointer<Float>, frames: Int) throws(AudioIOError) {
        precondition(buffer.count >= frames * Int(info.channels))
        let written = sf_writef_float(handle, buffer.baseAddress, sf_count_t(frames))
        guard written == frames else {
            throw AudioIOError(
                path: path,
                reason: .writeFailed("libsndfile wrote \(written) of \(frames) frames: \(lastError)"))
        }
    }

    /// Sets an integer-valued option (`sf_command` with the value in `datasize`,
    /// as `SFC_SET_CLIPPING` takes it); libsndfile answers with the new state.
    func setFlag(_ command: Int32, _ on: Bool, what: String) throws(AudioIOError) {
        let value = on ? Int32(SF_TRUE) : Int32(SF_FALSE)
        guard sf_command(handle, command, nil, value) == value else {
            throw AudioIOError(path: path, reason: .writeFailed("libsndfile refused \(what)"))
        }
    }

    /// Sets an option passed by pointer (`sf_command`, e.g. `SFC_SET_COMPRESSION_LEVEL`
    /// with a double); libsndfile answers `SF_TRUE` on success.
    func setValue<Value>(_ command: Int32, _ value: Value, what: String) throws(AudioIOError) {
        var value = value
        let accepted = withUnsafeMutableBytes(of: &value) {
            sf_command(handle, command, $0.baseAddress, Int32($0.count))
        }
        guard accepted == SF_TRUE else {
            throw AudioIOError(path: path, reason: .writeFailed("libsndfile refused \(what): \(lastError)"))
        }
    }

    /// Finishes the file (`sf_close`), which writes the final header. libsndfile
    /// does not report failed writes here; the sink records them.
    func close() throws(AudioIOError) {
        guard let handle else { return }
        self.handle = nil
        let code = sf_close(handle)
        guard code == SF_ERR_NO_ERROR else {
            throw AudioIOError(
                path: path, reason: .writeFailed("libsndfile: \(String(cString: sf_error_number(code)))"))
        }
    }

    /// The libsndfile version (`sf_version_string`), e.g. "libsndfile-1.2.0".
    static var version: String { String(cString: sf_version_string()) }

    /// Whether libsndfile can write this format, rate and channel count (`sf_format_check`).
    static func canWrite(_ info: SF_INFO) -> Bool {
        var info = info
        return sf_format_check(&info) == SF_TRUE
    }
}

/// Opens `path` read-only if it is a regular file or a pipe (`demixer <(ffmpeg …)`
/// reads a FIFO to its end). A device never ends (`/dev/zero`) or waits for a person
/// (a terminal), a directory or socket is no audio: those are refused before they are
/// opened, and the opened descriptor is checked again in case the path changed.
private func openRegularFile(_ path: String) throws(AudioIOError) -> Int32 {
    func failure(_ code: Int32) -> AudioIOError {
        // A name whose bytes were not UTF-8 reaches Swift with U+FFFD in their place.
        let reason: AudioIOError.Reason = code == ENOENT && path.contains("\u{FFFD}")
            ? .nameNotUTF8 : .cannotOpen(String(cString: strerror(code)))
        return AudioIOError(path: path, reason: reason)
    }
    func refusal(_ mode: mode_t) -> AudioIOError? {
        guard mode & S_IFMT != S_IFIFO, let kind = nonRegularFileKind(mode) else { return nil }
        return AudioIOError(path: path, reason: .notRegularFile(kind))
    }
    var status = stat()
    guard stat(path, &status) == 0 else { throw failure(errno) }
    if let refusal = refusal(status.st_mode) { throw refusal }
    let fd = open(path, O_RDONLY | O_CLOEXEC)  // on a FIFO, waits for the writer
    guard fd >= 0 else { throw failure(errno) }
    guard fstat(fd, &status) == 0 else {
        let code = errno
        close(fd)
        throw failure(code)
    }
    if let refusal = refusal(status.st_mode) {
        close(fd)
        throw refusal
    }
    return fd
}

/// `close(2)` on a read-only descriptor, reachable where a `close()` method hides it.
private func closeDescriptor(_ fd: Int32) { close(fd) }

/// The bytes under a file being written: a file descriptor that libsndfile
/// reaches through virtual I/O. It records the first failing system call, so the
/// real cause (such as a full disk) is reported even when it happens inside
/// `sf_close`, which does not return it.
final class FileSink {
    let fd: Int32
    /// Bytes the device can take; lowered by tests to stand in for a full disk.
    let capacity: Int64
    private(set) var position: Int64 = 0
    /// `errno` of the first failed write or seek.
    private(set) var failure: Int32?

    init(fd: Int32, capacity: Int64 = .max) {
        self.fd = fd
        self.capacity = capacity
    }

    static func from(_ userData: UnsafeMutableRawPointer?) -> FileSink {
        Unmanaged<FileSink>.fromOpaque(userData!).takeUnretainedValue()
    }

    private func fail(_ code: Int32) {
        if failure == nil { failure = code }
    }

    func length() -> Int64 {
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            fail(errno)
            return -1
        }
        return Int64(status.st_size)
    }

    func seek(_ offset: Int64, _ whence: Int32) -> Int64 {
        let result = lseek(fd, off_t(offset), whence)
        guard result >= 0 else {
            fail(errno)
            return -1
        }
        position = Int64(result)
        return position
    }

    func readBytes(_ bytes: UnsafeMutableRawPointer?, _ count: Int64) -> Int64 {
        let result = read(fd, bytes, Int(count))
        guard result >= 0 else { return 0 }
        position += Int64(result)
        return Int64(result)
    }

    /// Writes all of `count` bytes, or as many as fit before an error, like `write(2)`
    /// on a filling disk; the error is recorded.
    func writeBytes(_ bytes: UnsafeRawPointer?, _ count: Int64) -> Int64 {
        guard let bytes else { return 0 }
        let room = max(0, capacity - position)
        let wanted = min(count, room)
        var done: Int64 = 0
        while done < wanted {
            let result = write(fd, bytes + Int(done), Int(wanted - done))
            guard result > 0 else {
                if result < 0 && errno == EINTR { continue }
                fail(result < 0 ? errno : EIO)
                break
            }
            done += Int64(result)
        }
        if done < count { fail(ENOSPC) }
        position += done
        return done
    }
}
