import AudioIO
import Demucs
import Foundation

/// A song decoded and resampled for the model, with what is needed to write its stems
/// back in the source's shape.
public struct Track: Sendable {
    /// The file name without directory or extension (`{track}` in output templates).
    public let name: String
    /// The file name's extension (`{trackext}`).
    public let fileExtension: String
    public let sourceRate: Int
    public let sourceChannels: Int
    /// The rate `mix` is at: the model's.
    public let sampleRate: Int
    /// The song at `sampleRate`, planar, in a mapped temporary file (never whole in
    /// anonymous memory, whatever its length).
    public let mix: MappedAudio
    /// What the decoder repaired or dropped, one sentence each.
    public let warnings: [String]

    public init(
        name: String, fileExtension: String, sourceRate: Int, sourceChannels: Int, mix: MappedAudio,
        warnings: [String] = []
    ) {
        self.name = name
        self.fileExtension = fileExtension
        self.sourceRate = sourceRate
        self.sourceChannels = sourceChannels
        sampleRate = mix.sampleRate
        self.mix = mix
        self.warnings = warnings
    }

    /// Decodes `path` and resamples it to `sampleRate`; `name`, when given, is the file
    /// name the user knows it by (for messages and `{track}`), when `path` is another
    /// way to reach the same file.
    public static func load(_ path: String, sampleRate: Int, named name: String? = nil) throws(Failure) -> Track {
        let audio: MappedAudio
        do {
            audio = try AudioFile.readMapped(path, sampleRate: sampleRate)
        } catch {
            let message = name.map { error.description.replacingOccurrences(of: path, with: $0) } ?? error.description
            throw Failure(message: message, status: ExitStatus.unreadableInput)
        }
        let (trackName, fileExtension) = nameAndExtension(of: name ?? path)
        return Track(
            name: trackName, fileExtension: fileExtension, sourceRate: audio.sourceRate,
            sourceChannels: audio.sourceChannelCount, mix: audio,
            warnings: name.map { name in audio.warnings.map { $0.replacingOccurrences(of: path, with: name) } }
                ?? audio.warnings)
    }

    /// A file's name without its folder, split into `{track}` and `{trackext}`; the
    /// double extension of an NI Stems file (`song.stem.mp4`) stays whole.
    static func nameAndExtension(of path: String) -> (name: String, fileExtension: String) {
        let url = URL(fileURLWithPath: path)
        let name = url.deletingPathExtension().lastPathComponent
        if url.pathExtension.lowercased() == "mp4", name.lowercased().hasSuffix(".stem") {
            return (String(name.dropLast(5)), "stem." + url.pathExtension)
        }
        return (name, url.pathExtension)
    }

    public var frameCount: Int { mix.frameCount }
    public var channelCount: Int { mix.channelCount }

    /// Seconds of audio.
    public var duration: Double { Double(frameCount) / Double(sampleRate) }

    /// The file name, as the player's header shows it.
    public var fileName: String { fileExtension.isEmpty ? name : "\(name).\(fileExtension)" }

    /// The mix as the separator reads it: normalised by the mean and standard deviation
    /// of its mono sum (as the `demucs` CLI does) on the fly, with the statistics that
    /// undo it on the stems.
    public func normalisedMix() -> NormalisedMix {
        NormalisedMix(samples: mix, normalisation: Normalisation(monoStatisticsOf: mix))
    }

    /// Model-rate outputs (`[output][channel][frame]`) back at the track's sample rate
    /// and channel count, clipped with `clip` all together.
    public func prepareForWriting(_ outputs: [[[Float]]], clip: ClipMode) throws(Failure) -> [AudioBuffer] {
        var buffers: [AudioBuffer] = []
        for channels in outputs {
            var buffer = AudioBuffer(sampleRate: sampleRate, channels: channels)
            if sourceRate != buffer.sampleRate {
                do {
                    buffer = try Resampler.resample(buffer, to: sourceRate)
                } catch {
                    throw Failure(message: "\(error)", status: ExitStatus.writeFailure)
                }
            }
            buffers.append(sourceChannels == 1 ? buffer.remixed(toChannelCount: 1) : buffer)
        }
        return clip.apply(to: buffers)
    }
}

/// A track's mix normalised sample by sample as the separator copies its windows out,
/// so no normalised copy of the track exists.
public struct NormalisedMix: MixSource {
    public let samples: MappedAudio
    public let normalisation: Normalisation

    public var channelCount: Int { samples.channelCount }
    public var frameCount: Int { samples.frameCount }

    public func copyWindow(start: Int, count: Int, into destination: UnsafeMutableBufferPointer<Float>) {
        let lo = max(start, 0)
        let hi = max(min(start + count, frameCount), lo)
        for c in 0..<channelCount {
            let plane = samples.channel(c)
            let row = c * count
            for i in 0..<count {
                let frame = start + i
                destination[row + i] = frame >= lo && frame < hi ? normalisation.apply(plane[frame]) : 0
            }
        }
    }
}

/// The separated stems of a whole track, `[stem][channel][frame]`.
public struct Stems: Sendable {
    public let names: [String]
    public var samples: [[[Float]]]

    public init(names: [String], samples: [[[Float]]]) {
        self.names = names
        self.samples = samples
    }
}

/// demucs's normalisation of a mix: by the mean and unbiased standard deviation of
/// the channel average; stems are scaled back with `stem · std + mean`.
public struct Normalisation: Sendable, Equatable {
    public let mean: Float
    public let std: Float

    public init(mean: Float, std: Float) {
        self.mean = mean
        self.std = std == 0 ? 1 : std
    }

    /// The statistics of `samples`' mono sum, in two streaming passes (mean, then
    /// deviation) that add in the same order as a whole-track computation would.
    init(monoStatisticsOf samples: MappedAudio) {
        let frames = samples.frameCount
        guard frames > 1 else {
            self.init(mean: 0, std: 1)
            return
        }
        let planes = (0..<samples.channelCount).map(samples.channel)
        let channels = Double(planes.count)
        func mono(_ i: Int) -> Double {
            var sum = 0.0
            for plane in planes { sum += Double(plane[i]) / channels }
            return sum
        }
        var total = 0.0
        for i in 0..<frames { total += mono(i) }
        let mean = total / Double(frames)
        var squares = 0.0
        for i in 0..<frames {
            let deviation = mono(i) - mean
            squares += deviation * deviation
        }
        self.init(mean: Float(mean), std: Float((squares / Double(frames - 1)).squareRoot()))
    }

    /// A mix sample normalised.
    func apply(_ sample: Float) -> Float { (sample - mean) / std }

    /// A span's stems as `[stem][channel][frame]`, with the normalisation undone.
    public func undo(_ span: StemSpan) -> [[[Float]]] {
        span.stems.map { stem in
            (0..<stem.shape[0]).map { c in
                stem.values[(c * span.frameCount)..<((c + 1) * span.frameCount)].map { $0 * std + mean }
            }
        }
    }
}
