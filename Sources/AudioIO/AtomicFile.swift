#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Replaces a file all at once or not at all: the content goes to a temporary
/// file in the target's directory (same filesystem), is synced, then renamed over
/// the target. On any failure the temporary file is removed and the target is
/// left as it was.
enum AtomicFile {
    /// Runs `body` with a sink over a fresh temporary file, then moves it to `path`.
    /// `capacity` stands in for the free space on the device (tests lower it).
    static func write(
        to path: String, capacity: Int64,
        _ body: (FileSink) throws(AudioIOError) -> Void
    ) throws(AudioIOError) {
        let directory = directoryName(of: path)
        let (temporaryPath, fd) = try createTemporary(for: path, in: directory)
        let sink = FileSink(fd: fd, capacity: capacity)
        var open = true
        do throws(AudioIOError) {
            try body(sink)
            if let failure = sink.failure { throw systemError(path, failure) }
            guard fsync(fd) == 0 else { throw systemError(path, errno, "fsync") }
            open = false
            guard close(fd) == 0 else { throw systemError(path, errno, "close") }
            guard rename(temporaryPath, path) == 0 else { throw systemError(path, errno, "rename") }
        } catch {
            // Already failing: a second failure closing the descriptor changes nothing.
            if open { close(fd) }
            // A failed system call underneath libsndfile is the cause worth naming.
            var error = error
            if let failure = sink.failure, case .writeFailed = error.reason {
                error = systemError(path, failure)
            }
            if unlink(temporaryPath) != 0, case .writeFailed(let message) = error.reason {
                error.reason = .writeFailed(
                    "\(message); the temporary file \(temporaryPath) could not be removed: "
                        + String(cString: strerror(errno)))
            }
            throw error
        }
        try syncDirectory(directory, for: path)
    }

    private static func systemError(_ path: String, _ code: Int32, _ call: String? = nil) -> AudioIOError {
        let message = String(cString: strerror(code))
        return AudioIOError(path: path, reason: .writeFailed(call.map { "\($0): \(message)" } ?? message))
    }

    private static func directoryName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Creates `.name.XXXXXX.tmp` beside the target (`open` with `O_EXCL`,
    /// mode 0666 less the umask, as a plain new file gets).
    private static func createTemporary(
        for path: String, in directory: String
    ) throws(AudioIOError) -> (String, Int32) {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        while true {
            let tag = String((0..<6).map { _ in letters.randomElement()! })
            let candidate = "\(directory)/.\(name).\(tag).tmp"
            let fd = open(candidate, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            if fd >= 0 { return (candidate, fd) }
            if errno != EEXIST {
                throw systemError(path, errno, "cannot create a temporary file in \(directory)")
            }
        }
    }

    /// Syncs the directory so the rename itself survives a crash.
    private static func syncDirectory(_ directory: String, for path: String) throws(AudioIOError) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            throw AudioIOError(path: path, reason: .notDurable(String(cString: strerror(errno))))
        }
        defer { close(fd) }  // read-only descriptor: closing cannot lose data
        guard fsync(fd) == 0 else {
            throw AudioIOError(path: path, reason: .notDurable(String(cString: strerror(errno))))
        }
    }
}
