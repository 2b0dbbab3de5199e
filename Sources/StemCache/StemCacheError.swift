import AtomicFiles

/// Why a cache operation failed. Reading never throws these for a bad entry (that is
/// a miss, see `CacheLookup`); they come from writing, clearing and invalid input.
public enum StemCacheError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Stems whose shape does not fit their source names.
    case invalidStems(String)
    /// A file system call failed on `path`.
    case fileSystem(path: String, operation: String, reason: String)

    public var description: String {
        switch self {
        case .invalidStems(let reason): return "Cannot cache these stems: \(reason)"
        case .fileSystem(let path, let operation, let reason): return "\(path): \(operation) failed: \(reason)"
        }
    }
}

extension StemCacheError {
    init(_ failure: FileFailure) {
        self = .fileSystem(path: failure.path, operation: failure.operation, reason: failure.reason)
    }
}
