import Glibc

/// A sink with no sound card: it plays nothing but keeps real time, period by period,
/// like a device with a buffer of `bufferFrames`, so the playhead and meters still move.
/// A writer late by more than the buffer counts an underrun and the clock restarts.
public final class ClockSink: AudioSink {
    public let sampleRate: Int
    public let channelCount: Int
    public let periodFrames: Int
    public let format: SampleFormat
    /// Frames the pretend device can queue.
    public let bufferFrames: Int
    public private(set) var underruns = 0
    /// When the pretend device started playing frame 0 of `queuedFrames`, in seconds.
    private var startTime: Double?
    private var queuedFrames = 0

    /// A clock at `sampleRate` taking `periodFrames` per write and queueing up to
    /// `bufferFrames` (default: four periods).
    public init(
        sampleRate: Int, channels: Int = 2, periodFrames: Int = 1024,
        bufferFrames: Int? = nil, format: SampleFormat = .float32
    ) {
        self.sampleRate = sampleRate
        channelCount = channels
        self.periodFrames = periodFrames
        self.bufferFrames = bufferFrames ?? 4 * periodFrames
        self.format = format
    }

    /// Queues `frames` frames, sleeping while more than `bufferFrames` are queued.
    public func write(_ interleaved: UnsafeRawBufferPointer, frames: Int) throws {
        let now = monotonicSeconds()
        if let startTime, Double(queuedFrames) < (now - startTime) * Double(sampleRate) {
            underruns += 1
            self.startTime = nil
        }
        let start = startTime ?? now
        startTime = start
        queuedFrames += frames
        sleep(until: start + Double(queuedFrames - bufferFrames) / Double(sampleRate), now: now)
    }

    public func close() {}
}
