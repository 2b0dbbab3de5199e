import Mixing
import Synchronization

/// What the audio thread reports to the UI: playhead, buffering, underruns and meters.
/// Written by the render thread once per period, read by the UI whenever it draws.
public final class PlaybackStatus: Sendable {
    public let stemCount: Int
    private let playhead = Atomic<Int>(0)
    private let buffering = Atomic<Bool>(false)
    private let underrunCount = Atomic<Int>(0)
    private let realTime = Atomic<Bool>(false)
    /// Four floats per meter (peak, RMS, held peak, clip), stems then master.
    private let meters: AtomicFloats
    private let failure = Mutex<String?>(nil)

    init(stemCount: Int) {
        self.stemCount = stemCount
        meters = AtomicFloats(count: (stemCount + 1) * 4, value: -.infinity)
    }

    /// The playhead, in frames from the start of the track.
    public internal(set) var position: Int {
        get { playhead.load(ordering: .relaxed) }
        set { playhead.store(newValue, ordering: .relaxed) }
    }

    /// Whether playback waits for separation to catch up (the playhead is at the
    /// separated frontier, before the end of the track).
    public internal(set) var isBuffering: Bool {
        get { buffering.load(ordering: .relaxed) }
        set { buffering.store(newValue, ordering: .relaxed) }
    }

    /// Whether the audio thread runs under real-time scheduling (`SCHED_FIFO`).
    public internal(set) var isRealTime: Bool {
        get { realTime.load(ordering: .relaxed) }
        set { realTime.store(newValue, ordering: .relaxed) }
    }

    /// How many times the device ran dry and was restarted.
    public internal(set) var underruns: Int {
        get { underrunCount.load(ordering: .relaxed) }
        set { underrunCount.store(newValue, ordering: .relaxed) }
    }

    /// Why the sound device stopped being used mid-play, if it did (playback then goes
    /// on against a clock). Set at most once, off the real-time path.
    public internal(set) var deviceFailure: String? {
        get { failure.withLock { $0 } }
        set { failure.withLock { $0 = newValue } }
    }

    /// The meter of `stem`, after its fader.
    public func meter(stem: Int) -> MeterReading { reading(at: stem) }

    /// The meter of the summed output.
    public var masterMeter: MeterReading { reading(at: stemCount) }

    /// Publishes `reading` for meter `index` (stems, then master at `stemCount`).
    func publish(_ reading: MeterReading, at index: Int) {
        let base = index * 4
        meters[base] = reading.peakDB
        meters[base + 1] = reading.rmsDB
        meters[base + 2] = reading.heldPeakDB
        meters[base + 3] = reading.isClipped ? 1 : 0
    }

    private func reading(at index: Int) -> MeterReading {
        let base = index * 4
        return MeterReading(
            peakDB: meters[base], rmsDB: meters[base + 1], heldPeakDB: meters[base + 2],
            isClipped: meters[base + 3] > 0)
    }
}
