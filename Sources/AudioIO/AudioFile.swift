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

/// Reading and writing audio files through libsndfile.
public enum AudioFile {
    /// Frames per libsndfile read or write call.
    static let blockFrames = 65_536

    /// Decodes any file libsndfile reads (WAV, AIFF, FLAC, Ogg Vorbis, Opus, MP3, …)
    /// to Float32 stereo at the file's sample rate (`sf_open_fd`, `sf_readf_float`).
    /// Regular files and pipes are read; devices, directories and sockets are refused
    /// before they are opened (`/dev/zero` would never end).
    ///
    /// The header's frame count is never trusted: the file is read in blocks
    /// until libsndfile reports the end. Non-finite samples become 0 with a warning.
    /// What libsndfile does not recognise goes to FFmpeg (``readThroughFFmpeg(_:unrecognised:)``).
    public static func read(_ path: String) throws(AudioIOError) -> DecodedAudio {
        let file: SoundFile
        do {
            file = try SoundFile(readingFrom: path)
        } catch where sndfileDidNotRecognise(error) {
            return try readThroughFFmpeg(path, unrecognised: error)
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
        var channels = [[Float]](repeating: [], count: kept)
        var nonFinite = 0
        let interleaved = UnsafeMutableBufferPointer<Float>.allocate(capacity: blockFrames * channelCount)
        defer { interleaved.deallocate() }
        let planar = UnsafeMutableBufferPointer<Float>.allocate(capacity: blockFrames)
        defer { planar.deallocate() }
        while true {
            let frames = file.readFrames(into: interleaved, frames: blockFrames)
            if frames == 0 { break }
            for c in 0..<kept {
                for i in 0..<frames {
                    let sample = interleaved[i * channelCount + c]
                    if sample.isFinite {
                        planar[i] = sample
                    } else {
                        planar[i] = 0
                        nonFinite += 1
                    }
                }
                channels[c].append(contentsOf: planar[0..<frames])
            }
        }

        var warnings: [String] = []
        let decoded = channels[0].count
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
        let audio = AudioBuffer(sampleRate: sampleRate, channels: channels)
        return DecodedAudio(
            audio: audio.remixed(toChannelCount: 2), sourceChannelCount: channelCount, warnings: warnings)
    }

    /// Writes `audio` to `path` in `format`, atomically: a temporary file beside the
    /// target receives everything (every `sf_writef_float` count is checked), is
    /// synced, and is renamed over the target. On failure the target is untouched.
    /// `path`'s extension must name `format`'s container, and an existing target must
    /// be a regular file.
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
        let named = try AudioFileFormat.container(forPath: path)
        guard named == format.container else {
            throw AudioIOError(path: path, reason: .extensionMismatch(extension: named.rawValue, chosen: format.container))
        }
        var info = SF_INFO()
        info.samplerate = Int32(clamping: audio.sampleRate)
        info.channels = Int32(clamping: audio.channelCount)
        info.format = format.sndfileFormat
        guard SoundFile.canWrite(info) else {
            let what = format == .mp3
                ? "\(SoundFile.version) cannot write MP3 (needs libsndfile 1.1 or later built with MPEG support)"
                : "cannot write \(format.displayName) at \(audio.sampleRate) Hz "
                    + "with \(audio.channelCount) channels"
            throw AudioIOError(path: path, reason: .unwritableFormat(what))
        }

        var nonFinite = 0
        try AtomicFile.write(to: path, capacity: capacity) { sink throws(AudioIOError) in
            let file = try SoundFile(writingTo: sink, info: info, path: path)
            if format.isInteger {
                try file.setFlag(Int32(SFC_SET_CLIPPING), true, what: "clipping")
            }
            if format == .mp3 {
                // The level first: changing the mode re-applies the stored level.
                try file.setValue(Int32(SFC_SET_COMPRESSION_LEVEL), 0.0, what: "compression level 0")
                try file.setValue(
                    Int32(SFC_SET_BITRATE_MODE), Int32(SF_BITRATE_MODE_CONSTANT), what: "constant bit rate")
            }
            nonFinite = try writeFrames(of: audio, to: file, path: path, isCancelled: isCancelled)
            try file.close()
        }
        return nonFinite
    }

    /// Interleaves block by block, non-finite samples as 0, and writes each block;
    /// stops when `isCancelled`. Returns how many samples were non-finite.
    private static func writeFrames(
        of audio: AudioBuffer, to file: SoundFile, path: String, isCancelled: () -> Bool
    ) throws(AudioIOError) -> Int {
        let channelCount = audio.channelCount
        let interleaved = UnsafeMutableBufferPointer<Float>.allocate(capacity: blockFrames * channelCount)
        defer { interleaved.deallocate() }
        var nonFinite = 0
        var start = 0
        while start < audio.frameCount {
            if isCancelled() { throw AudioIOError(path: path, reason: .cancelled) }
            let frames = min(blockFrames, audio.frameCount - start)
            for (c, channel) in audio.channels.enumerated() {
                channel.withUnsafeBufferPointer { samples in
                    for i in 0..<frames {
                        let sample = samples[start + i]
                        if sample.isFinite {
                            interleaved[i * channelCount + c] = sample
                        } else {
                            interleaved[i * channelCount + c] = 0
                            nonFinite += 1
                        }
                    }
                }
            }
            try file.writeFrames(UnsafeBufferPointer(interleaved), frames: frames)
            start += frames
        }
        return nonFinite
    }
}
