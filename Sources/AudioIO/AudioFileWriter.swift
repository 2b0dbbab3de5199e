import CSndfile

/// An audio file written block by block, so that a track of any length never has to
/// be whole in memory; ``AudioFile/write(_:to:format:isCancelled:)`` is one of these
/// given the whole buffer at once, and writes the same bytes.
///
/// Atomic, as that write is: the blocks go to a temporary file beside the target
/// (every `sf_writef_float` count is checked), which ``commit()`` syncs and renames over
/// the target. A writer that fails, is cancelled, is ``discard()``ed or is dropped
/// uncommitted removes its temporary file and leaves the target as it was.
///
/// Apply a ``ClipMode`` first; integer formats saturate whatever remains beyond ±1
/// (`SFC_SET_CLIPPING`). Non-finite samples (NaN, infinity), which no encoder takes,
/// are written as 0 and counted.
public final class AudioFileWriter {
    public let path: String
    public let format: AudioFileFormat
    public let sampleRate: Int
    public let channelCount: Int
    /// How many non-finite samples were written as 0 so far, for a warning.
    public private(set) var nonFiniteCount = 0
    /// Both nil once committed or abandoned.
    private var output: AtomicOutput?
    private var file: SoundFile?
    private let interleaved: UnsafeMutableBufferPointer<Float>

    /// Starts `path` in `format`. `path`'s extension must name `format`'s container, and
    /// an existing target must be a regular file; the format must take this rate and
    /// channel count (`sf_format_check`).
    public convenience init(
        path: String, format: AudioFileFormat, sampleRate: Int, channelCount: Int
    ) throws(AudioIOError) {
        try self.init(path: path, format: format, sampleRate: sampleRate, channelCount: channelCount, capacity: .max)
    }

    /// A writer onto a device with `capacity` bytes free (tests lower it).
    init(
        path: String, format: AudioFileFormat, sampleRate: Int, channelCount: Int, capacity: Int64
    ) throws(AudioIOError) {
        let named = try AudioFileFormat.container(forPath: path)
        guard named == format.container else {
            throw AudioIOError(path: path, reason: .extensionMismatch(extension: named.rawValue, chosen: format.container))
        }
        var info = SF_INFO()
        info.samplerate = Int32(clamping: sampleRate)
        info.channels = Int32(clamping: channelCount)
        info.format = format.sndfileFormat
        guard SoundFile.canWrite(info) else {
            let what = format == .mp3
                ? "\(SoundFile.version) cannot write MP3 (needs libsndfile 1.1 or later built with MPEG support)"
                : "cannot write \(format.displayName) at \(sampleRate) Hz with \(channelCount) channels"
            throw AudioIOError(path: path, reason: .unwritableFormat(what))
        }
        let output = try AtomicOutput(path: path, capacity: capacity)
        do throws(AudioIOError) {
            let file = try SoundFile(writingTo: output.sink, info: info, path: path)
            if format.isInteger {
                try file.setFlag(Int32(SFC_SET_CLIPPING), true, what: "clipping")
            }
            if format == .mp3 {
                // The level first: changing the mode re-applies the stored level.
                try file.setValue(Int32(SFC_SET_COMPRESSION_LEVEL), 0.0, what: "compression level 0")
                try file.setValue(
                    Int32(SFC_SET_BITRATE_MODE), Int32(SF_BITRATE_MODE_CONSTANT), what: "constant bit rate")
            }
            self.file = file
        } catch {
            throw output.abandon(error)
        }
        self.output = output
        self.path = path
        self.format = format
        self.sampleRate = sampleRate
        self.channelCount = channelCount
        interleaved = .allocate(capacity: AudioFile.blockFrames * channelCount)
    }

    deinit {
        discard()
        interleaved.deallocate()
    }

    /// Appends `block` (``channelCount`` channels at ``sampleRate``), interleaved and
    /// written in pieces of at most ``AudioFile/blockFrames`` frames. `isCancelled` is
    /// asked before each piece: when it turns true the write stops with
    /// ``AudioIOError/Reason/cancelled``. Any failure abandons the file.
    ///
    /// - Precondition: the writer is neither committed nor abandoned.
    public func append(_ block: AudioBuffer, isCancelled: () -> Bool = { false }) throws(AudioIOError) {
        precondition(file != nil, "\(path): appending to a finished writer")
        precondition(block.channelCount == channelCount, "block has \(block.channelCount) channels, not \(channelCount)")
        precondition(block.sampleRate == sampleRate, "block is at \(block.sampleRate) Hz, not \(sampleRate)")
        var start = 0
        do throws(AudioIOError) {
            while start < block.frameCount {
                if isCancelled() { throw AudioIOError(path: path, reason: .cancelled) }
                let frames = min(AudioFile.blockFrames, block.frameCount - start)
                interleave(block, from: start, frames: frames)
                try file!.writeFrames(UnsafeBufferPointer(interleaved), frames: frames)
                start += frames
            }
        } catch {
            throw abandon(error)
        }
    }

    /// Closes the handle (no more writes through it), then removes the temporary file;
    /// returns the error to report.
    private func abandon(_ error: AudioIOError) -> AudioIOError {
        file = nil
        defer { output = nil }
        return output!.abandon(error)
    }

    /// Copies `frames` frames of `block` from `start` into ``interleaved``, non-finite
    /// samples as 0.
    private func interleave(_ block: AudioBuffer, from start: Int, frames: Int) {
        for (c, channel) in block.channels.enumerated() {
            channel.withUnsafeBufferPointer { samples in
                for i in 0..<frames {
                    let sample = samples[start + i]
                    if sample.isFinite {
                        interleaved[i * channelCount + c] = sample
                    } else {
                        interleaved[i * channelCount + c] = 0
                        nonFiniteCount += 1
                    }
                }
            }
        }
    }

    /// Finishes the file (`sf_close` writes the final header), syncs it and renames it
    /// over the target.
    ///
    /// - Returns: ``nonFiniteCount``.
    /// - Precondition: the writer is neither committed nor abandoned.
    @discardableResult
    public func commit() throws(AudioIOError) -> Int {
        guard let output else { preconditionFailure("\(path): committing a finished writer") }
        do {
            try file!.close()
        } catch {
            throw abandon(error)
        }
        file = nil
        self.output = nil
        try output.commit()
        return nonFiniteCount
    }

    /// Abandons the file: the temporary file is removed and the target stays as it was.
    /// Does nothing once committed or abandoned.
    public func discard() {
        file = nil
        output?.discard()
        output = nil
    }
}
