import CSndfile

/// A decoded file: stereo audio for the model, plus what the file itself held.
public struct DecodedAudio: Sendable {
    /// Two channels: mono is duplicated, channels beyond the second are dropped.
    public var audio: AudioBuffer
    /// The file's own channel count, so a mono song can be written back as mono.
    public var sourceChannelCount: Int
    /// Things repaired or dropped while decoding, one sentence each, naming the file.
    public var warnings: [String]
}

/// What a streaming decode learned by its end: the shape of the blocks it delivered and
/// what the file itself held.
public struct DecodeSummary: Sendable, Equatable {
    /// The rate of every block.
    public var sampleRate: Int
    /// The file's own channel count, so a mono song can be written back as mono.
    public var sourceChannelCount: Int
    /// Frames delivered, all blocks together.
    public var frameCount: Int
    /// Things repaired or dropped while decoding, one sentence each, naming the file.
    public var warnings: [String]
}

/// Reading and writing audio files through libsndfile.
public enum AudioFile {
    /// Frames per libsndfile read or write call.
    static let blockFrames = 65_536

    /// Decodes any file libsndfile reads (WAV, AIFF, FLAC, Ogg Vorbis, Opus, MP3, …)
    /// to Float32 stereo at the file's sample rate, whole: ``decode(_:consume:)`` with
    /// every block collected.
    public static func read(_ path: String) throws(AudioIOError) -> DecodedAudio {
        var collected = AudioBuffer(sampleRate: 0, channels: [])
        let summary = try decodeKept(path) { block in collected.append(block) }
        let audio = AudioBuffer(sampleRate: summary.sampleRate, channels: collected.channels)
        return DecodedAudio(
            audio: audio.remixed(toChannelCount: 2), sourceChannelCount: summary.sourceChannelCount,
            warnings: summary.warnings)
    }

    /// Decodes `path` block by block, so that a file of any length streams: each block
    /// reaches `consume` as Float32 stereo at the file's sample rate (mono duplicated,
    /// channels beyond the second dropped, non-finite samples as 0), in file order.
    ///
    /// libsndfile reads what it recognises (`sf_open_fd`, `sf_readf_float` in blocks of
    /// ``blockFrames``); the rest goes to FFmpeg (one block per decoded frame). Regular
    /// files and pipes are read; devices, directories and sockets are refused before
    /// they are opened (`/dev/zero` would never end). The header's frame count is never
    /// trusted: the file is read until the decoder reports the end. An error thrown by
    /// `consume` stops decoding and is rethrown.
    ///
    /// - Returns: the stream's rate, the file's own channel count, the frames decoded
    ///   and the warnings (repairs, an early end), known only at the end.
    @discardableResult
    public static func decode(
        _ path: String, consume: (AudioBuffer) throws(AudioIOError) -> Void
    ) throws(AudioIOError) -> DecodeSummary {
        try decodeKept(path) { block throws(AudioIOError) in try consume(block.remixed(toChannelCount: 2)) }
    }

    /// ``decode(_:consume:)`` with blocks of the first one or two channels as the file
    /// holds them, not yet made stereo (a mono file's channel is shared, not copied).
    static func decodeKept(
        _ path: String, consume: (AudioBuffer) throws(AudioIOError) -> Void
    ) throws(AudioIOError) -> DecodeSummary {
        let file: SoundFile
        do {
            file = try SoundFile(readingFrom: path)
        } catch where sndfileDidNotRecognise(error) {
            return try decodeThroughFFmpeg(path, unrecognised: error, consume: consume)
        }
        let channelCount = Int(file.info.channels)
        let sampleRate = Int(file.info.samplerate)
        guard (1...AudioLimits.maxChannels).contains(channelCount) else {
            throw AudioIOError(path: path, reason: .channelCount(channelCount))
        }
        guard AudioLimits.sampleRates.contains(sampleRate) else {
            throw AudioIOError(path: path, reason: .sampleRate(sampleRate))
        }

        let kept = min(channelCount, 2)
        var nonFinite = 0
        var decoded = 0
        let interleaved = UnsafeMutableBufferPointer<Float>.allocate(capacity: blockFrames * channelCount)
        defer { interleaved.deallocate() }
        while true {
            let frames = file.readFrames(into: interleaved, frames: blockFrames)
            if frames == 0 { break }
            let channels = (0..<kept).map { c in
                [Float](unsafeUninitializedCapacity: frames) { planar, count in
                    for i in 0..<frames {
                        let sample = interleaved[i * channelCount + c]
                        if sample.isFinite {
                            planar[i] = sample
                        } else {
                            planar[i] = 0
                            nonFinite += 1
                        }
                    }
                    count = frames
                }
            }
            decoded += frames
            try consume(AudioBuffer(sampleRate: sampleRate, channels: channels))
        }

        var warnings: [String] = []
        if file.hasError {
            guard decoded > 0 else {
                throw AudioIOError(path: path, reason: .decodeFailed(file.lastError))
            }
            warnings.append("\(path): decoding stopped after \(decoded) frames (libsndfile: \(file.lastError))")
        }
        guard decoded > 0 else { throw AudioIOError(path: path, reason: .noFrames) }
        // The header's count only serves to say the file was cut short.
        let declared = file.info.frames
        if declared != Int64.max && declared > decoded {
            warnings.append("\(path): ends after \(decoded) of the \(declared) frames its header declares")
        }
        if nonFinite > 0 {
            warnings.append("\(path): replaced \(nonFinite) non-finite samples (NaN or infinity) with 0")
        }
        if channelCount > 2 {
            warnings.append("\(path): \(channelCount) channels; kept the first 2")
        }
        return DecodeSummary(
            sampleRate: sampleRate, sourceChannelCount: channelCount, frameCount: decoded, warnings: warnings)
    }

    /// Writes `audio` to `path` in `format`, atomically: a temporary file beside the
    /// target receives everything (every `sf_writef_float` count is checked), is
    /// synced, and is renamed over the target. On failure the target is untouched.
    /// `path`'s extension must name `format`'s container, and an existing target must
    /// be a regular file. An ``AudioFileWriter`` given the whole buffer at once.
    ///
    /// Apply a ``ClipMode`` first; integer formats saturate whatever remains beyond ±1
    /// (`SFC_SET_CLIPPING`). Non-finite samples (NaN, infinity), which no encoder
    /// takes, are written as 0. `isCancelled` is asked between blocks: when it turns
    /// true the write stops with ``AudioIOError/Reason/cancelled`` and the temporary
    /// file is gone.
    ///
    /// - Returns: how many non-finite samples were written as 0, for a warning.
    @discardableResult
    public static func write(
        _ audio: AudioBuffer, to path: String, format: AudioFileFormat, isCancelled: () -> Bool = { false }
    ) throws(AudioIOError) -> Int {
        try write(audio, to: path, format: format, capacity: .max, isCancelled: isCancelled)
    }

    /// ``write(_:to:format:isCancelled:)`` onto a device with `capacity` bytes free.
    @discardableResult
    static func write(
        _ audio: AudioBuffer, to path: String, format: AudioFileFormat, capacity: Int64,
        isCancelled: () -> Bool = { false }
    ) throws(AudioIOError) -> Int {
        let writer = try AudioFileWriter(
            path: path, format: format, sampleRate: audio.sampleRate, channelCount: audio.channelCount,
            capacity: capacity)
        try writer.append(audio, isCancelled: isCancelled)
        return try writer.commit()
    }
}
