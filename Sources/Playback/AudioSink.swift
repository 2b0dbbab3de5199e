/// How samples are laid out for the device: interleaved, native (little) endian.
public enum SampleFormat: Sendable {
    /// 16-bit signed integers (ALSA `S16_LE`); the mix is clipped to ±1 first.
    case int16
    /// 32-bit floats (ALSA `FLOAT_LE`), unclipped.
    case float32

    /// Bytes in one sample of one channel.
    public var bytesPerSample: Int {
        switch self {
        case .int16: 2
        case .float32: 4
        }
    }
}

/// Where rendered audio goes, one period at a time: a sound card or a clock.
/// Used by one thread at a time (the render thread once playback starts).
public protocol AudioSink: AnyObject {
    /// Frames per second.
    var sampleRate: Int { get }
    /// Interleaved channels per frame.
    var channelCount: Int { get }
    /// Frames the render thread should produce per `write`.
    var periodFrames: Int { get }
    /// The sample layout `write` expects.
    var format: SampleFormat { get }
    /// How many times the sink ran dry and was restarted.
    var underruns: Int { get }
    /// Plays `frames` interleaved frames from `interleaved`, blocking while the
    /// device's buffer is full.
    /// - Throws: when the device fails in a way it cannot recover from.
    func write(_ interleaved: UnsafeRawBufferPointer, frames: Int) throws
    /// Stops playing, dropping whatever is still queued. Further writes are an error.
    func close()
}
