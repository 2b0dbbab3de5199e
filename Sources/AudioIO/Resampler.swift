import CSoxr

/// Streaming sample-rate conversion over one libsoxr resampler (`soxr_t`), at the
/// very-high-quality recipe (`SOXR_VHQ`), channel-planar Float32 in and out.
///
/// Feed blocks with ``process(_:)`` and end with ``finish()``, which drains the
/// filter (`soxr_process` with no input) and makes the total output exactly
/// round(inputFrames × outputRate / inputRate) frames.
public struct Resampler: ~Copyable {
    private let soxr: soxr_t
    public let inputRate: Int
    public let outputRate: Int
    public let channelCount: Int
    private var framesIn = 0
    private var framesOut = 0

    /// Creates the resampler (`soxr_create`).
    public init(from inputRate: Int, to outputRate: Int, channelCount: Int) throws(AudioIOError) {
        var error: soxr_error_t?
        var io = soxr_io_spec(SOXR_FLOAT32_S, SOXR_FLOAT32_S)
        var quality = soxr_quality_spec(UInt(SOXR_VHQ), 0)
        let soxr = soxr_create(
            Double(inputRate), Double(outputRate), UInt32(clamping: channelCount),
            &error, &io, &quality, nil)
        if let error {
            throw AudioIOError(path: nil, reason: .resampler(String(cString: error)))
        }
        guard let soxr else {
            throw AudioIOError(path: nil, reason: .resampler("soxr_create returned no resampler"))
        }
        self.soxr = soxr
        self.inputRate = inputRate
        self.outputRate = outputRate
        self.channelCount = channelCount
    }

    deinit { soxr_delete(soxr) }

    /// Resamples one block (one collection per channel, equal lengths) and returns
    /// what the filter has ready; output lags input by the filter's delay.
    public mutating func process<Samples: Collection<Float>>(
        _ block: [Samples]
    ) throws(AudioIOError) -> [[Float]] {
        precondition(block.count == channelCount, "block has \(block.count) channels, not \(channelCount)")
        let frames = block.first?.count ?? 0
        precondition(block.allSatisfy { $0.count == frames }, "block channels differ in length")
        let input = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(1, frames * channelCount))
        defer { input.deallocate() }
        for (c, channel) in block.enumerated() {
            _ = input[(c * frames)..<((c + 1) * frames)].initialize(from: channel)
        }
        framesIn += frames
        return try run(input: UnsafeBufferPointer(input), frames: frames)
    }

    /// Drains the filter and returns the last frames, trimmed or zero-padded so the
    /// whole output has the exact expected length.
    public consuming func finish() throws(AudioIOError) -> [[Float]] {
        let expected = (framesIn * outputRate + inputRate / 2) / inputRate
        let wanted = max(0, expected - framesOut)
        var tail = try run(input: nil, frames: 0)
        for c in tail.indices {
            if tail[c].count > wanted {
                tail[c].removeLast(tail[c].count - wanted)
            } else {
                tail[c].append(contentsOf: repeatElement(0, count: wanted - tail[c].count))
            }
        }
        return tail
    }

    /// Calls `soxr_process` until the input is consumed and the output has stopped
    /// filling its buffer. `input == nil` means end of input (drain).
    private mutating func run(
        input: UnsafeBufferPointer<Float>?, frames: Int
    ) throws(AudioIOError) -> [[Float]] {
        let capacity = max(4096, frames * outputRate / inputRate + 64)
        let output = UnsafeMutableBufferPointer<Float>.allocate(capacity: capacity * channelCount)
        defer { output.deallocate() }
        var outputPointers = (0..<channelCount).map { Optional(output.baseAddress! + $0 * capacity) }
        var result = [[Float]](repeating: [], count: channelCount)
        var consumed = 0
        while true {
            var used = 0
            var made = 0
            let error: soxr_error_t? = outputPointers.withUnsafeMutableBufferPointer { outputPointers in
                let outputs = UnsafeMutableRawPointer(outputPointers.baseAddress)
                guard let input else {
                    return soxr_process(soxr, nil, 0, nil, outputs, capacity, &made)
                }
                let inputPointers = (0..<channelCount).map {
                    Optional(input.baseAddress! + $0 * frames + consumed)
                }
                return inputPointers.withUnsafeBufferPointer { inputPointers in
                    soxr_process(
                        soxr, UnsafeRawPointer(inputPointers.baseAddress), frames - consumed, &used,
                        outputs, capacity, &made)
                }
            }
            if let error { throw AudioIOError(path: nil, reason: .resampler(String(cString: error))) }
            consumed += used
            for c in 0..<channelCount {
                result[c].append(contentsOf: output[(c * capacity)..<(c * capacity + made)])
            }
            framesOut += made
            if consumed >= frames && made < capacity { return result }
        }
    }

    /// Resamples a whole buffer to `rate` in blocks; returns it unchanged if the
    /// rate already matches. soxr's output does not depend on how its input is cut, so
    /// a stream fed the same samples in blocks of any size gives exactly these.
    public static func resample(_ buffer: AudioBuffer, to rate: Int) throws(AudioIOError) -> AudioBuffer {
        if buffer.sampleRate == rate { return buffer }
        var resampler = try Resampler(from: buffer.sampleRate, to: rate, channelCount: buffer.channelCount)
        var channels = [[Float]](repeating: [], count: buffer.channelCount)
        var start = 0
        repeat {
            let end = min(start + AudioFile.blockFrames, buffer.frameCount)
            let out = try resampler.process(buffer.channels.map { $0[start..<end] })
            for c in channels.indices { channels[c] += out[c] }
            start = end
        } while start < buffer.frameCount
        let tail = try resampler.finish()
        for c in channels.indices { channels[c] += tail[c] }
        return AudioBuffer(sampleRate: rate, channels: channels)
    }
}
