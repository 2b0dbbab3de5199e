/// Exit statuses, after BSD's sysexits so scripts can tell failures apart.
public enum ExitStatus {
    /// Bad usage: an unknown option or an impossible value.
    public static let usage: Int32 = 64
    /// An input file could not be read or decoded.
    public static let unreadableInput: Int32 = 66
    /// Separation failed or was interrupted.
    public static let separationFailure: Int32 = 70
    /// An output could not be written (nothing partial was left behind).
    public static let writeFailure: Int32 = 73
    /// No model weights are installed, or the weights file is broken.
    public static let missingWeights: Int32 = 78
}

/// A failure that ends a job or a command with a message naming the file and the
/// reason, and the exit status the command line reports it with.
public struct Failure: Error, Sendable, CustomStringConvertible {
    public let message: String
    public let status: Int32

    public init(message: String, status: Int32) {
        self.message = message
        self.status = status
    }

    public var description: String { message }
}
