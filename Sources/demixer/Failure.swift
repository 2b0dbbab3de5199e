import ArgumentParser
import Foundation

/// Exit statuses, after BSD's sysexits so scripts can tell failures apart.
enum ExitStatus {
    /// Bad usage: an unknown option or an impossible value.
    static let usage: Int32 = 64
    /// An input file could not be read or decoded.
    static let unreadableInput: Int32 = 66
    /// No model weights are installed, or the weights file is broken.
    static let missingWeights: Int32 = 78
    /// An output could not be written (nothing partial was left behind).
    static let writeFailure: Int32 = 73
    /// Separation failed or was interrupted.
    static let separationFailure: Int32 = 70
}

/// A failure that ends the command with a message naming the file and the reason.
struct Failure: Error, CustomStringConvertible {
    let message: String
    let status: Int32

    var description: String { message }
}

extension ParsableCommand {
    /// Runs `body`, printing a `Failure`'s message to stderr and exiting with its status.
    func reportingFailures(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let failure as Failure {
            printError("demixer: \(failure.message)")
            throw ExitCode(failure.status)
        }
    }
}

/// Writes a line to standard error.
func printError(_ line: String) {
    writeStandardError(line + "\n")
}

/// Writes text to standard error, unbuffered.
func writeStandardError(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
}
