import AtomicFiles

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
        let staged: StagedWrite
        do {
            staged = try StagedWrite(destination: path, permissions: 0o666)
        } catch {
            throw writeFailed(path, error)
        }
        let sink = FileSink(fd: staged.descriptor, capacity: capacity)
        do throws(AudioIOError) {
            try body(sink)
            if let failure = sink.failure { throw systemError(path, failure) }
            do {
                try staged.commit()
            } catch {
                throw writeFailed(path, error)
            }
        } catch {
            // A failed system call underneath libsndfile is the cause worth naming.
            var error = error
            if let failure = sink.failure, case .writeFailed = error.reason {
                error = systemError(path, failure)
            }
            if let removal = staged.discard(), case .writeFailed(let message) = error.reason {
                error.reason = .writeFailed(
                    "\(message); the temporary file \(staged.temporaryPath) could not be removed: \(removal.reason)")
            }
            throw error
        }
        do {
            try staged.syncDirectory()
        } catch {
            throw AudioIOError(path: path, reason: .notDurable(error.reason))
        }
    }

    /// A failed write inside libsndfile, named by its `errno` alone.
    private static func systemError(_ path: String, _ code: Int32) -> AudioIOError {
        AudioIOError(path: path, reason: .writeFailed(String(cString: strerror(code))))
    }

    private static func writeFailed(_ path: String, _ failure: FileFailure) -> AudioIOError {
        AudioIOError(path: path, reason: .writeFailed("\(failure.operation): \(failure.reason)"))
    }
}
