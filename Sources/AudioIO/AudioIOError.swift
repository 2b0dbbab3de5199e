/// A failure reading, writing or resampling audio: which file, and a specific reason.
///
/// `description` is a sentence for a person, e.g.
/// `song.wav: not a readable audio file (libsndfile: Format not recognised)`.
public struct AudioIOError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The reasons AudioIO gives up. C messages (from `sf_strerror`, `strerror`,
    /// the soxr error string) are carried verbatim.
    public enum Reason: Sendable, Equatable {
        /// The file could not be opened; carries the system's message (`strerror`).
        case cannotOpen(String)
        /// No file has this name, and the name holds U+FFFD: bytes that were not
        /// UTF-8 (in a command-line argument, say) were replaced on the way in, so the
        /// real name cannot be opened through this string.
        case nameNotUTF8
        /// The path is a device, directory or socket, named as in "a directory".
        case notRegularFile(String)
        /// libsndfile refused the file; carries its message.
        case unreadable(String)
        /// libsndfile recognised the format but its decoder could not parse the audio.
        case truncatedOrCorrupt
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
        /// An output name whose extension is none of ``AudioFileFormat/Container``'s;
        /// carries the extension ("" for none).
        case unknownExtension(String)
        /// An output name whose extension says another container than the one chosen.
        case extensionMismatch(extension: String, chosen: AudioFileFormat.Container)
        /// A sample type the container cannot store (32-bit float in FLAC, any depth in MP3).
        case unsupportedSampleType(AudioFileFormat.Container, AudioFileFormat.SampleType)
        /// Neither libsndfile nor FFmpeg could open the file; carries FFmpeg's message.
        case unreadableMedia(String)
        /// The file opened in FFmpeg but holds no audio stream (a silent video, say).
        case noAudioStream
        /// FFmpeg could not decode the stream; carries its message.
        case mediaDecodeFailed(String)
        /// The file is not a usable NI Stems file; says what is missing.
        case notStems(String)
        /// Decoded audio could not be kept in a temporary file (no space, no such
        /// directory); carries the system's account.
        case temporaryStorage(String)
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
        case .cannotOpen(let message):
            text = "cannot be opened (\(message))"
        case .nameNotUTF8:
            text = "no such file; its name as given contains U+FFFD where bytes were not UTF-8, "
                + "so the file cannot be found under it (rename the file to a UTF-8 name)"
        case .notRegularFile(let kind):
            text = "not a regular file (it is \(kind)); audio is read from files and pipes only"
        case .truncatedOrCorrupt:
            text = "truncated or corrupt: the audio data after its header cannot be decoded"
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
        case .unknownExtension(let ext):
            let supported = AudioFileFormat.Container.allCases.map { ".\($0.rawValue)" }.joined(separator: ", ")
            text = (ext.isEmpty ? "no file extension" : "'.\(ext)' is not a format Demixer writes")
                + "; use one of \(supported)"
        case .extensionMismatch(let ext, let chosen):
            text = "the extension '.\(ext)' does not match the chosen format \(chosen.rawValue); "
                + "use '.\(chosen.rawValue)' or drop the format option"
        case .unsupportedSampleType(.mp3, _):
            text = "MP3 has no sample format to choose (it is always 320 kbit/s)"
        case .unsupportedSampleType(let container, let type):
            let allowed = AudioFileFormat.SampleType.allCases.filter { (try? AudioFileFormat(container, type: $0)) != nil }
            text = "\(container.rawValue.uppercased()) cannot store \(type.displayName) samples; it stores "
                + allowed.map(\.displayName).joined(separator: " or ")
        case .unreadableMedia(let message):
            text = "not a readable audio file (FFmpeg: \(message))"
        case .noAudioStream:
            text = "no audio stream"
        case .mediaDecodeFailed(let message):
            text = "decoding failed (FFmpeg: \(message))"
        case .notStems(let message):
            text = "not an NI Stems file (\(message))"
        case .temporaryStorage(let message):
            text = "could not keep its decoded audio in a temporary file (\(message))"
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
