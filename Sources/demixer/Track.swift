import AudioIO
import Demucs
import Foundation

/// A song decoded and resampled for the model, with what is needed to write its stems
/// back in the source's shape.
struct Track {
    /// The file name without directory or extension (`{track}` in output templates).
    let name: String
    /// The file name's extension (`{trackext}`).
    let fileExtension: String
    let sourceRate: Int
    let sourceChannels: Int
    /// `[2, frames]` at the model's rate.
    let mix: Tensor

    /// Decodes `path` and resamples it to `sampleRate`, printing the decoder's warnings.
    static func load(_ path: String, sampleRate: Int) throws -> Track {
        let decoded: DecodedAudio
        do {
            decoded = try AudioFile.read(path)
        } catch {
            throw Failure(message: error.description, status: ExitStatus.unreadableInput)
        }
        for warning in decoded.warnings { printError("demixer: warning: \(warning)") }
        var audio = decoded.audio
        if audio.sampleRate != sampleRate {
            do {
                audio = try Resampler.resample(audio, to: sampleRate)
            } catch {
                throw Failure(message: error.description, status: ExitStatus.unreadableInput)
            }
        }
        let url = URL(fileURLWithPath: path)
        return Track(
            name: url.deletingPathExtension().lastPathComponent, fileExtension: url.pathExtension,
            sourceRate: decoded.audio.sampleRate, sourceChannels: decoded.sourceChannelCount,
            mix: Tensor(shape: [audio.channelCount, audio.frameCount], values: audio.channels.flatMap { $0 }))
    }

    var duration: Double { Double(mix.shape[1]) / 44_100 }
}

/// The separated stems of a whole track, `[stem][channel][frame]`.
struct Stems {
    let names: [String]
    var samples: [[[Float]]]
}

/// Separates `track` as `demucs` does on the command line: the mix is normalised by
/// the mean and standard deviation of its mono sum, separated, and scaled back.
func separateTrack(_ track: Track, with separator: Separator, progress: ProgressReporter?) throws -> Stems {
    let (normalised, mean, std) = track.normalisedMix()
    let channels = track.mix.shape[0]
    let frames = track.mix.shape[1]
    let names = separator.bag.sources
    var samples = [[[Float]]](
        repeating: [[Float]](repeating: [Float](repeating: 0, count: frames), count: channels), count: names.count)
    let started = Date()
    do {
        try separator.run(
            mix: normalised,
            onProgress: { progress?.update(fraction: $0.fraction, audioSeconds: track.duration, elapsed: Date().timeIntervalSince(started)) },
            onSpan: { span in
                for (s, stem) in span.denormalised(mean: mean, std: std).enumerated() {
                    for c in 0..<channels {
                        samples[s][c].replaceSubrange(span.start..<(span.start + span.frameCount), with: stem[c])
                    }
                }
            })
    } catch {
        throw Failure(message: "\(track.name): separation failed: \(error)", status: ExitStatus.separationFailure)
    }
    progress?.finish(audioSeconds: track.duration, elapsed: Date().timeIntervalSince(started))
    return Stems(names: names, samples: samples)
}

extension StemSpan {
    /// The span's stems as `[stem][channel][frame]`, with the mix's normalisation undone.
    func denormalised(mean: Float, std: Float) -> [[[Float]]] {
        stems.map { stem in
            (0..<stem.shape[0]).map { c in
                stem.values[(c * frameCount)..<((c + 1) * frameCount)].map { $0 * std + mean }
            }
        }
    }
}

extension Track {
    /// The mix normalised by the mean and standard deviation of its mono sum, with the
    /// statistics that undo it on the stems (`stem · std + mean`).
    func normalisedMix() -> (mix: Tensor, mean: Float, std: Float) {
        var (mean, std) = monoStatistics(mix)
        if std == 0 { std = 1 }
        return (Tensor(shape: mix.shape, values: mix.values.map { ($0 - mean) / std }), mean, std)
    }
}

/// Mean and unbiased standard deviation of the channel average, as demucs normalises.
private func monoStatistics(_ mix: Tensor) -> (mean: Float, std: Float) {
    let channels = mix.shape[0]
    let frames = mix.shape[1]
    guard frames > 1 else { return (0, 1) }
    var mono = [Double](repeating: 0, count: frames)
    for c in 0..<channels {
        for i in 0..<frames { mono[i] += Double(mix.values[c * frames + i]) / Double(channels) }
    }
    let mean = mono.reduce(0, +) / Double(frames)
    let variance = mono.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(frames - 1)
    return (Float(mean), Float(variance.squareRoot()))
}
