import Mixing
import Synchronization

/// What the UI asks of the audio thread: per-stem gains, play/pause, seeks, the A–B
/// loop, tempo and key. Written by the UI thread, read once per period by the render thread; every
/// field is an atomic, so neither side ever waits for the other.
public final class MixerControls: Sendable {
    /// Frames in a loop bound must fit in 32 bits (27 hours at 44.1 kHz).
    private static let noLoop = UInt64.max

    public let stemCount: Int
    private let gains: AtomicFloats
    private let playing: Atomic<Bool>
    private let seekTarget = Atomic<Int>(-1)
    private let lastSeekTarget = Atomic<Int>(0)
    private let seeksRequested = Atomic<Int>(0)
    private let seeksApplied = Atomic<Int>(0)
    private let loopBounds = Atomic<UInt64>(noLoop)
    /// Tempo and semitones as two `Float` bit patterns in one word.
    private let stretchBits = Atomic<UInt64>(packed(.original))

    /// Controls for `state`'s stems, with its gains already in place (so playback
    /// starts without a ramp), paused unless `playing`.
    public init(state: MixState, playing: Bool = false) {
        stemCount = state.strips.count
        gains = AtomicFloats(count: stemCount)
        self.playing = Atomic(playing)
        publish(state)
    }

    /// Publishes `state`'s effective gains (faders, mute/solo rules and master folded
    /// into one linear gain per stem); the audio thread ramps to them.
    public func publish(_ state: MixState) {
        precondition(state.strips.count == stemCount, "expected \(stemCount) strips")
        for (stem, gain) in state.effectiveGains().enumerated() {
            gains[stem] = gain
        }
    }

    /// The linear gain the audio thread is heading to for `stem`.
    public func targetGain(ofStem stem: Int) -> Float { gains[stem] }

    /// Whether playback runs; pausing and resuming fade over a few milliseconds.
    public var isPlaying: Bool {
        get { playing.load(ordering: .relaxed) }
        set { playing.store(newValue, ordering: .relaxed) }
    }

    /// Asks the audio thread to move the playhead to `frame` (after a short fade).
    /// A later request replaces one not yet taken.
    public func requestSeek(to frame: Int) {
        lastSeekTarget.store(max(0, frame), ordering: .relaxed)
        seeksRequested.add(1, ordering: .releasing)
        seekTarget.store(max(0, frame), ordering: .releasing)
    }

    /// Where the last seek goes while the audio thread has not moved the playhead there
    /// yet; nil once it has. A seek relative to the playhead starts from here, so keys
    /// pressed in quick succession (End, then ←) add up.
    public var pendingSeekTarget: Int? {
        seeksRequested.load(ordering: .relaxed) > seeksApplied.load(ordering: .relaxed)
            ? lastSeekTarget.load(ordering: .relaxed) : nil
    }

    /// The pending seek, if any, which the caller now owns, with the number of requests
    /// it answers (for `seekApplied`).
    func takeSeekRequest() -> (frame: Int, requests: Int)? {
        let frame = seekTarget.exchange(-1, ordering: .acquiring)
        return frame >= 0 ? (frame, seeksRequested.load(ordering: .relaxed)) : nil
    }

    /// The audio thread moved the playhead for the first `requests` seek requests.
    func seekApplied(requests: Int) {
        seeksApplied.store(requests, ordering: .relaxed)
    }

    /// Tempo, key and formant choice of what is heard. All travel in one atomic word, so
    /// the audio thread never pairs the tempo of one setting with the key of another.
    public var stretch: StretchSettings {
        get {
            let bits = stretchBits.load(ordering: .relaxed)
            let high = UInt32(bits >> 32)
            return StretchSettings(
                tempo: Double(Float(bitPattern: high & ~formantBit)),
                semitones: Double(Float(bitPattern: UInt32(bits & 0xFFFF_FFFF))),
                preservesFormants: high & formantBit != 0)
        }
        set { stretchBits.store(packed(newValue), ordering: .relaxed) }
    }

    /// The A–B loop: when the playhead reaches B it goes back to A. Both bounds travel
    /// in one atomic word, so the audio thread never sees A of one loop and B of another.
    public var loop: Range<Int>? {
        get {
            let bits = loopBounds.load(ordering: .relaxed)
            return bits == Self.noLoop ? nil : Int(bits >> 32)..<Int(bits & 0xFFFF_FFFF)
        }
        set {
            guard let range = newValue, !range.isEmpty else {
                loopBounds.store(Self.noLoop, ordering: .relaxed)
                return
            }
            precondition(range.lowerBound >= 0 && range.upperBound < 1 << 32, "loop bounds out of range")
            loopBounds.store(UInt64(range.lowerBound) << 32 | UInt64(range.upperBound), ordering: .relaxed)
        }
    }
}

/// The formant choice, in the sign bit of the (always positive) tempo.
private let formantBit: UInt32 = 1 << 31

/// `settings` as the bit patterns of two `Float`s, tempo high, with the formant choice
/// in the tempo's sign bit.
private func packed(_ settings: StretchSettings) -> UInt64 {
    let tempo = Float(settings.tempo).bitPattern | (settings.preservesFormants ? formantBit : 0)
    return UInt64(tempo) << 32 | UInt64(Float(settings.semitones).bitPattern)
}
