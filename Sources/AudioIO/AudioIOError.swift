/// A failure reading, writing or resampling audio: which file, and a specific reason.
///
/// `description` is a sentence for a person, e.g.
/// `song.wav: not a readable audio file (libsndfile: Format not recognised)`.
public struct AudioIOError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The reasons AudioIO gives up. C messages (from `sf_strerror`, `strerror`,
    /// the soxr error string) are carried verbatim.
    public enum Reason: Sendable, Equatable {
        /// `sf_open` refused the file; carries libsndfile's message.
        case unreadable(String)
        /// The file opened but decoding failed before any frame was read.
        case decodeFailed(String)
        /// The file holds no audio frames.
        case noFrames
        /// The file declares a channel count outside 1…``AudioLimits/maxChannels``.
        case channelCount(Int)
        /// The file declares a sample rate outside ``AudioLimits/sampleRates``.
        case sampleRate(Int)
        /// The installed libsndfile cannot write this format (`sf_format_check` failed).
        case unwritableFormat(String)
        /// Writing failed; the target is untouched (old contents or absent).
        case writeFailed(String)
        /// The file was renamed into place but its directory could not be synced.
        case notDurable(String)
        /// libsoxr reported an error.
        case resampler(String)
        /// The writer was asked to stop; the target is untouched.
        case cancelled
    }

    /// The file concerned; nil for failures not tied to a file (resampling).
    public var path: String?
    public var reason: Reason

    public init(path: String?, reason: Reason) {
        self.path = path
        self.reason = reason
    }

    public var description: String {
        let text: String
        switch reason {
        case .unreadable(let message):
            text = "not a readable audio file (libsndfile: \(message))"
        case .decodeFailed(let message):
            text = "decoding failed (libsndfile: \(message))"
        case .noFrames:
            text = "no audio frames"
        case .channelCount(0):
            text = "0 channels; an audio file needs at least 1"
        case .channelCount(let count):
            text = "\(count) channels; Demixer reads at most \(AudioLimits.maxChannels)"
        case .sampleRate(let rate):
            text = "sample rate \(rate) Hz; Demixer reads "
                + "\(AudioLimits.sampleRates.lowerBound)…\(AudioLimits.sampleRates.upperBound) Hz"
        case .unwritableFormat(let message):
            text = "\(message); nothing was written"
        case .writeFailed(let message):
            text = "could not write (\(message)); nothing was written"
        case .cancelled:
            text = "writing cancelled; nothing was written"
        case .notDurable(let message):
            text = "written, but the directory could not be synced (\(message)); "
                + "the file may not survive a crash"
        case .resampler(let message):
            text = "resampling failed (soxr: \(message))"
        }
        guard let path else { return text }
        return "\(path): \(text)"
    }
}

/// What Demixer accepts from a file, beyond what libsndfile accepts.
public enum AudioLimits {
    /// Sample rates outside this range are treated as a corrupt header.
    public static let sampleRates = 1000...768_000
    /// More channels than this are treated as a corrupt header.
    public static let maxChannels = 64
}
