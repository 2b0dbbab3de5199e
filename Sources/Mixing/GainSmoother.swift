/// A gain that moves to a new target in a straight line over a fixed number of frames,
/// so that fader moves, pauses and seeks neither zip nor click.
///
/// A plain value with no storage of its own: the audio thread keeps one per stem in a
/// preallocated buffer. Once settled it yields exactly its target, so the real-time mix
/// equals the offline `renderMix` sample for sample.
public struct GainSmoother: Sendable {
    /// The gain of the last frame produced.
    public private(set) var current: Float
    /// Where the ramp is going.
    public private(set) var target: Float
    /// Ramp length used when `setTarget` is not given one.
    public let rampFrames: Int
    private var step: Float = 0
    private var remaining = 0

    /// A smoother resting at `gain` whose ramps last `rampFrames` frames.
    public init(gain: Float, rampFrames: Int) {
        precondition(rampFrames > 0, "a ramp needs at least one frame")
        current = gain
        target = gain
        self.rampFrames = rampFrames
    }

    /// Whether the ramp is over (`current == target`).
    public var isSettled: Bool { remaining == 0 }

    /// Whether it rests at zero: nothing it scales can be heard.
    public var isSilent: Bool { remaining == 0 && current == 0 }

    /// Frames left until the ramp reaches its target.
    public var framesToTarget: Int { remaining }

    /// Starts a ramp from the current gain to `gain` over `frames` frames (default
    /// `rampFrames`). Setting the target it already has changes nothing.
    public mutating func setTarget(_ gain: Float, overFrames frames: Int? = nil) {
        guard gain != target else { return }
        target = gain
        remaining = max(1, frames ?? rampFrames)
        step = (gain - current) / Float(remaining)
    }

    /// Jumps to `gain` at once, with no ramp.
    public mutating func jump(to gain: Float) {
        current = gain
        target = gain
        remaining = 0
    }

    /// Writes the next `count` per-frame gains to `gains`; the ramp ends exactly on
    /// its target.
    public mutating func fill(_ gains: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i < count && remaining > 0 {
            remaining -= 1
            current = remaining == 0 ? target : current + step
            gains[i] = current
            i += 1
        }
        (gains + i).update(repeating: current, count: count - i)
    }
}
