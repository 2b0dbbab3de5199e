import DemixerCore
import Foundation

/// `Track.load` for a file named on the command line, with a clear message for a name
/// that is not valid UTF-8: the argument parser's strings replace such bytes with
/// U+FFFD, so the file would otherwise be reported as missing although it exists.
func loadTrack(_ path: String, sampleRate: Int) throws(Failure) -> Track {
    if !FileManager.default.fileExists(atPath: path), let raw = rawArgument(decodingTo: path), access(raw, F_OK) == 0 {
        throw Failure(
            message: "\(path): the file name is not valid UTF-8, which demixer cannot open yet; rename the file",
            status: ExitStatus.unreadableInput)
    }
    return try Track.load(path, sampleRate: sampleRate)
}

/// The command-line argument, as the bytes the process received, that is not valid
/// UTF-8 and that decodes (with U+FFFD for the invalid bytes) to `text`.
private func rawArgument(decodingTo text: String) -> UnsafeMutablePointer<CChar>? {
    for index in 1..<Int(CommandLine.argc) {
        guard let argument = CommandLine.unsafeArgv[index], String(validatingCString: argument) == nil,
              String(cString: argument) == text else { continue }
        return argument
    }
    return nil
}
