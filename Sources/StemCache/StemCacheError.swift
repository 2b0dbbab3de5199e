import AtomicFiles

/// Why a cache operation failed. A lookup never throws (a bad entry is a miss, see
/// `StemCache.Lookup`); these come from writing, clearing, decoding a damaged block
/// and invalid input.
public enum StemCacheError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Stems whose shape does not fit their source names.
    case invalidStems(String)
    /// A file system call failed on `path`.
    case fileSystem(path: String, operation: String, reason: String)
    /// A block of the entry at `path` failed its checksum or could not be decoded;
    /// the stems should be separated again (which replaces the entry).
    case damagedEntry(path: String, reason: String)
    /// `PartialEntry.finish()` before every tile was marked done.
    case unfinished(path: String, doneTiles: Int, tileCount: Int)

    public var description: String {
        switch self {
        case .invalidStems(let reason): return "Cannot cache these stems: \(reason)"
        case .fileSystem(let path, let operation, let reason): return "\(path): \(operation) failed: \(reason)"
        case .damagedEntry(let path, let reason): return "\(path): \(reason)"
        case .unfinished(let path, let done, let count): return "\(path): only \(done) of \(count) tiles are separated"
        }
    }
}

extension StemCacheError {
    init(_ failure: FileFailure) {
        self = .fileSystem(path: failure.path, operation: failure.operation, reason: failure.reason)
    }
}
