import CRubberBand
import Mixing

/// Rubber Band in real-time mode, for the audio thread: planar blocks in, planar
/// blocks out, tempo and key changeable between calls without clicks.
///
/// Everything is sized in `init` (`maxInputFrames` per `process`), so `process`,
/// `retrieve` and the setters take no lock and allocate nothing. Used by one thread.
final class TimeStretcher {
    /// Rubber Band's two engines: R2 ("faster") and R3 ("finer", better quality,
    /// several times the CPU).
    enum Engine: Sendable {
        case faster, finer
    }

    let channelCount: Int
    let maxInputFrames: Int
    private let state: RubberBandState
    private let planes: UnsafeMutablePointer<UnsafeMutablePointer<Float>?>
    private var settings = StretchSettings.original

    init(sampleRate: Int, channels: Int, maxInputFrames: Int, engine: Engine) {
        channelCount = channels
        self.maxInputFrames = maxInputFrames
        let options = RubberBandOptionProcessRealTime.rawValue | RubberBandOptionChannelsTogether.rawValue
            | RubberBandOptionPitchHighConsistency.rawValue
            | (engine == .finer ? RubberBandOptionEngineFiner : RubberBandOptionEngineFaster).rawValue
        state = rubberband_new(UInt32(sampleRate), UInt32(channels), RubberBandOptions(bitPattern: options), 1, 1)!
        rubberband_set_max_process_size(state, UInt32(maxInputFrames))
        planes = .allocate(capacity: channels)
        planes.initialize(repeating: nil, count: channels)
    }

    deinit {
        rubberband_delete(state)
        planes.deallocate()
    }

    /// Output frames between a sample going in and coming out, at the current settings.
    var latency: Int { Int(rubberband_get_latency(state)) }

    /// Input frames the stretcher needs before it can produce more output.
    var framesRequired: Int { Int(rubberband_get_samples_required(state)) }

    /// Output frames ready to retrieve.
    var framesAvailable: Int { max(0, Int(rubberband_available(state))) }

    /// Moves to `settings`; Rubber Band glides to them over its next blocks.
    func set(_ settings: StretchSettings) {
        guard settings != self.settings else { return }
        if settings.tempo != self.settings.tempo { rubberband_set_time_ratio(state, settings.timeRatio) }
        if settings.semitones != self.settings.semitones { rubberband_set_pitch_scale(state, settings.pitchScale) }
        if settings.preservesFormants != self.settings.preservesFormants {
            rubberband_set_formant_option(
                state,
                RubberBandOptions(
                    bitPattern: (settings.preservesFormants ? RubberBandOptionFormantPreserved : RubberBandOptionFormantShifted)
                        .rawValue))
        }
        self.settings = settings
    }

    /// Forgets everything buffered, as at start (the settings stay).
    func reset() { rubberband_reset(state) }

    /// Feeds `frames` (≤ `maxInputFrames`) frames of a planar buffer whose channels
    /// start `stride` samples apart.
    func process(_ planar: UnsafeMutablePointer<Float>, stride: Int, frames: Int) {
        precondition(frames <= maxInputFrames, "block larger than the stretcher was built for")
        point(at: planar, stride: stride)
        rubberband_process(state, UnsafeRawPointer(planes).assumingMemoryBound(to: UnsafePointer<Float>?.self), UInt32(frames), 0)
    }

    /// Moves up to `frames` ready frames into a planar buffer whose channels start
    /// `stride` samples apart; returns how many it moved.
    func retrieve(into planar: UnsafeMutablePointer<Float>, stride: Int, frames: Int) -> Int {
        point(at: planar, stride: stride)
        return Int(rubberband_retrieve(state, planes, UInt32(frames)))
    }

    private func point(at planar: UnsafeMutablePointer<Float>, stride: Int) {
        for channel in 0..<channelCount { planes[channel] = planar + channel * stride }
    }
}
