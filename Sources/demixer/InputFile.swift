import DemixerCore
import Foundation

/// `Track.load` for a file named on the command line, including a name that is not
/// valid UTF-8: the argument parser's strings replace such bytes with U+FFFD, so the
/// file is opened by the bytes the process received and read through its descriptor
/// (`/proc/self/fd/N`); messages and output names use the name with U+FFFD.
func loadTrack(_ path: String, sampleRate: Int) throws(Failure) -> Track {
    guard !FileManager.default.fileExists(atPath: path), let raw = rawArgument(decodingTo: path) else {
        return try Track.load(path, sampleRate: sampleRate)
    }
    let descriptor = open(raw, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else {
        throw Failure(
            message: "\(path): cannot be opened (\(String(cString: strerror(errno))))", status: ExitStatus.unreadableInput)
    }
    defer { close(descriptor) }
    return try Track.load("/proc/self/fd/\(descriptor)", sampleRate: sampleRate, named: path)
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
