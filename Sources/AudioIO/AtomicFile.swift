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
        let output = try AtomicOutput(path: path, capacity: capacity)
        do {
            try body(output.sink)
        } catch {
            throw output.abandon(error)
        }
        try output.commit()
    }
}

/// One atomic replacement in progress, for writers that fill it over several calls:
/// a ``FileSink`` over the staged temporary file, then ``commit()`` or ``abandon(_:)``.
/// Uncommitted, the temporary file is removed on deinit.
final class AtomicOutput {
    let path: String
    let sink: FileSink
    private let staged: StagedWrite

    /// Creates the temporary file beside `path`; `capacity` stands in for the free space.
    init(path: String, capacity: Int64) throws(AudioIOError) {
        do {
            staged = try StagedWrite(destination: path, permissions: 0o666)
        } catch {
            throw Self.writeFailed(path, error)
        }
        self.path = path
        sink = FileSink(fd: staged.descriptor, capacity: capacity)
    }

    /// Checks the sink, renames the temporary file over `path` and syncs the directory.
    func commit() throws(AudioIOError) {
        do throws(AudioIOError) {
            if let failure = sink.failure { throw Self.systemError(path, failure) }
            do {
                try staged.commit()
            } catch {
                throw Self.writeFailed(path, error)
            }
        } catch {
            throw abandon(error)
        }
        do {
            try staged.syncDirectory()
        } catch {
            throw AudioIOError(path: path, reason: .notDurable(error.reason))
        }
    }

    /// Removes the temporary file after `error` and returns the error to report: a
    /// failed system call underneath libsndfile is the cause worth naming, and a
    /// temporary file that could not be removed is named too.
    func abandon(_ error: AudioIOError) -> AudioIOError {
        var error = error
        if let failure = sink.failure, case .writeFailed = error.reason {
            error = Self.systemError(path, failure)
        }
        if let removal = staged.discard(), case .writeFailed(let message) = error.reason {
            error.reason = .writeFailed(
                "\(message); the temporary file \(staged.temporaryPath) could not be removed: \(removal.reason)")
        }
        return error
    }

    /// Removes the temporary file; the target stays as it was.
    func discard() { staged.discard() }

    /// A failed write inside libsndfile, named by its `errno` alone.
    private static func systemError(_ path: String, _ code: Int32) -> AudioIOError {
        AudioIOError(path: path, reason: .writeFailed(String(cString: strerror(code))))
    }

    private static func writeFailed(_ path: String, _ failure: FileFailure) -> AudioIOError {
        AudioIOError(path: path, reason: .writeFailed("\(failure.operation): \(failure.reason)"))
    }
}
