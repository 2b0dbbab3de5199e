/// Adds `source[i] × gains[i]` into `destination[i]` for `count` frames and gathers the
/// levels of what it added. The one mixing kernel: the offline render and the audio
/// thread both use it, so they agree sample for sample.
public func mixStem(
    _ source: UnsafePointer<Float>, gains: UnsafePointer<Float>,
    into destination: UnsafeMutablePointer<Float>, count: Int, levels: inout BlockLevels
) {
    for i in 0..<count {
        let sample = source[i] * gains[i]
        destination[i] += sample
        levels.add(sample)
    }
}

/// Renders the remix of `stems` (`[stem][channel][frame]`) under `state`'s faders and
/// mute/solo rules: `[channel][frame]`, unclipped. Steady state, no ramps: what the
/// player sounds like once its gains have settled. Used by `demixer mix` and export.
public func renderMix(stems: [[[Float]]], state: MixState) -> [[Float]] {
    precondition(stems.count == state.strips.count, "one strip per stem")
    guard let first = stems.first else { return [] }
    let frames = first.first?.count ?? 0
    precondition(
        stems.allSatisfy { $0.count == first.count && $0.allSatisfy { $0.count == frames } },
        "every stem must have the same channels and frames")
    let blockFrames = 4096
    var output = [[Float]](repeating: [Float](repeating: 0, count: frames), count: first.count)
    var gains = [Float](repeating: 0, count: blockFrames)
    var levels = BlockLevels()
    for (stem, gain) in zip(stems, state.effectiveGains()) {
        gains.withUnsafeMutableBufferPointer { $0.update(repeating: gain) }
        for (channel, source) in stem.enumerated() {
            source.withUnsafeBufferPointer { source in
                output[channel].withUnsafeMutableBufferPointer { destination in
                    for start in stride(from: 0, to: frames, by: blockFrames) {
                        mixStem(
                            source.baseAddress! + start, gains: gains,
                            into: destination.baseAddress! + start,
                            count: min(blockFrames, frames - start), levels: &levels)
                    }
                }
            }
        }
    }
    return output
}
