import CRubberBand
import Foundation

/// A tempo and a transposition, independent of each other: slowing down keeps the key,
/// transposing keeps the tempo. Shared by the player (live) and the exports (offline).
public struct StretchSettings: Sendable, Equatable {
    /// Half to twice the original speed.
    public static let tempoRange: ClosedRange<Double> = 0.5...2
    /// An octave down to an octave up.
    public static let semitoneRange: ClosedRange<Double> = -12...12
    /// The song as it was separated.
    public static let original = StretchSettings()

    /// Speed relative to the original: 0.8 plays at 80 %, taking 1.25× as long.
    public var tempo: Double
    /// Transposition in semitones (fractions are cents).
    public var semitones: Double
    /// Whether a transposition keeps the formants (the spectral envelope), so that a
    /// transposed voice keeps its character instead of sounding chipmunk-like or boomy.
    public var preservesFormants: Bool

    /// `tempo` and `semitones` clamped to their ranges.
    public init(tempo: Double = 1, semitones: Double = 0, preservesFormants: Bool = false) {
        self.tempo = min(max(tempo, Self.tempoRange.lowerBound), Self.tempoRange.upperBound)
        self.semitones = min(max(semitones, Self.semitoneRange.lowerBound), Self.semitoneRange.upperBound)
        self.preservesFormants = preservesFormants
    }

    /// Whether the sound passes unchanged.
    public var isOriginal: Bool { tempo == 1 && semitones == 0 }

    /// Rubber Band's time ratio: output duration over input duration.
    public var timeRatio: Double { 1 / tempo }

    /// Rubber Band's pitch scale: the frequency ratio of the transposition.
    public var pitchScale: Double { exp2(semitones / 12) }

    /// How many frames `frames` frames of the song last at this tempo.
    public func stretchedLength(_ frames: Int) -> Int { Int((Double(frames) / tempo).rounded()) }
}

/// How an offline stretch trades quality for linearity.
public enum OfflineStretchMode: Sendable {
    /// Rubber Band's finer (R3) engine: its best sound, for one signal (a remix). Its
    /// phase follows the signal, so stems stretched one by one do not add up to the
    /// stretched mix (measured: −5 dB).
    case finest
    /// The faster (R2) engine with smooth transients and long windows: its timing and
    /// phase do not depend on the signal, so stems stretched one by one add up to the
    /// stretched mix (measured: 33 dB, 43 dB away from the ends). For stems.
    case stemAligned
}

/// `channels` (`[channel][frame]`, equal lengths) at `settings`'s tempo and key, through
/// Rubber Band's offline mode, which studies the whole signal first. The result has
/// exactly `settings.stretchedLength(frames)` frames; the original settings return
/// `channels` untouched.
public func stretched(
    _ channels: [[Float]], sampleRate: Int, settings: StretchSettings, mode: OfflineStretchMode = .finest
) -> [[Float]] {
    guard !settings.isOriginal, let frames = channels.first?.count, frames > 0 else { return channels }
    precondition(channels.allSatisfy { $0.count == frames }, "every channel must have the same frames")
    var options = RubberBandOptionProcessOffline.rawValue | RubberBandOptionChannelsTogether.rawValue
        | RubberBandOptionPitchHighQuality.rawValue | RubberBandOptionThreadingNever.rawValue
        | (settings.preservesFormants ? RubberBandOptionFormantPreserved : RubberBandOptionFormantShifted).rawValue
    switch mode {
    case .finest:
        options |= RubberBandOptionEngineFiner.rawValue
    case .stemAligned:
        options |= RubberBandOptionEngineFaster.rawValue | RubberBandOptionTransientsSmooth.rawValue
            | RubberBandOptionWindowLong.rawValue
    }
    let state = rubberband_new(
        UInt32(sampleRate), UInt32(channels.count), RubberBandOptions(bitPattern: options),
        settings.timeRatio, settings.pitchScale)!
    defer { rubberband_delete(state) }
    let blockFrames = 16_384
    rubberband_set_expected_input_duration(state, UInt32(frames))
    rubberband_set_max_process_size(state, UInt32(blockFrames))

    let length = settings.stretchedLength(frames)
    var output = [[Float]](repeating: [], count: channels.count)
    for channel in output.indices { output[channel].reserveCapacity(length + blockFrames) }
    let block = UnsafeMutableBufferPointer<Float>.allocate(capacity: channels.count * blockFrames)
    defer { block.deallocate() }
    let planes = UnsafeMutablePointer<UnsafeMutablePointer<Float>?>.allocate(capacity: channels.count)
    defer { planes.deallocate() }
    for channel in channels.indices { planes[channel] = block.baseAddress! + channel * blockFrames }
    let inputPlanes = UnsafeRawPointer(planes).assumingMemoryBound(to: UnsafePointer<Float>?.self)

    /// Copies `count` frames from `start` into the block.
    func load(_ start: Int, _ count: Int) {
        for (channel, source) in channels.enumerated() {
            source.withUnsafeBufferPointer { planes[channel]!.update(from: $0.baseAddress! + start, count: count) }
        }
    }
    /// Moves whatever the stretcher has ready into `output`.
    func drain() {
        while case let ready = Int(rubberband_available(state)), ready > 0 {
            let count = Int(rubberband_retrieve(state, planes, UInt32(min(ready, blockFrames))))
            for channel in output.indices {
                output[channel].append(contentsOf: UnsafeBufferPointer(start: planes[channel], count: count))
            }
        }
    }

    for start in stride(from: 0, to: frames, by: blockFrames) {
        let count = min(blockFrames, frames - start)
        load(start, count)
        rubberband_study(state, inputPlanes, UInt32(count), start + count == frames ? 1 : 0)
    }
    for start in stride(from: 0, to: frames, by: blockFrames) {
        let count = min(blockFrames, frames - start)
        load(start, count)
        rubberband_process(state, inputPlanes, UInt32(count), start + count == frames ? 1 : 0)
        drain()
    }
    drain()
    return output.map { channel in
        channel.count >= length ? Array(channel[..<length]) : channel + [Float](repeating: 0, count: length - channel.count)
    }
}
