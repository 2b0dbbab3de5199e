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
    /// `[2, frames]` at `sampleRate`.
    public let mix: Tensor
    /// What the decoder repaired or dropped, one sentence each.
    public let warnings: [String]

    public init(
        name: String, fileExtension: String, sourceRate: Int, sourceChannels: Int, sampleRate: Int, mix: Tensor,
        warnings: [String] = []
    ) {
        self.name = name
        self.fileExtension = fileExtension
        self.sourceRate = sourceRate
        self.sourceChannels = sourceChannels
        self.sampleRate = sampleRate
        self.mix = mix
        self.warnings = warnings
    }

    /// Decodes `path` and resamples it to `sampleRate`; `name`, when given, is the file
    /// name the user knows it by (for messages and `{track}`), when `path` is another
    /// way to reach the same file.
    public static func load(_ path: String, sampleRate: Int, named name: String? = nil) throws(Failure) -> Track {
        let decoded: DecodedAudio
        var audio: AudioBuffer
        do {
            decoded = try AudioFile.read(path)
            audio = decoded.audio
            if audio.sampleRate != sampleRate { audio = try Resampler.resample(audio, to: sampleRate) }
        } catch {
            let message = name.map { error.description.replacingOccurrences(of: path, with: $0) } ?? error.description
            throw Failure(message: message, status: ExitStatus.unreadableInput)
        }
        let (trackName, fileExtension) = nameAndExtension(of: name ?? path)
        return Track(
            name: trackName, fileExtension: fileExtension,
            sourceRate: decoded.audio.sampleRate, sourceChannels: decoded.sourceChannelCount, sampleRate: sampleRate,
            mix: Tensor(shape: [audio.channelCount, audio.frameCount], values: audio.channels.flatMap { $0 }),
            warnings: name.map { name in decoded.warnings.map { $0.replacingOccurrences(of: path, with: name) } }
                ?? decoded.warnings)
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

    public var frameCount: Int { mix.shape[1] }
    public var channelCount: Int { mix.shape[0] }

    /// Seconds of audio.
    public var duration: Double { Double(frameCount) / Double(sampleRate) }

    /// The file name, as the player's header shows it.
    public var fileName: String { fileExtension.isEmpty ? name : "\(name).\(fileExtension)" }

    /// The mix normalised by the mean and standard deviation of its mono sum (as the
    /// `demucs` CLI does), with the statistics that undo it on the stems.
    public func normalisedMix() -> (mix: Tensor, normalisation: Normalisation) {
        let statistics = Normalisation(monoStatisticsOf: mix)
        return (Tensor(shape: mix.shape, values: mix.values.map(statistics.apply)), statistics)
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

    init(monoStatisticsOf mix: Tensor) {
        let channels = mix.shape[0]
        let frames = mix.shape[1]
        guard frames > 1 else {
            self.init(mean: 0, std: 1)
            return
        }
        var mono = [Double](repeating: 0, count: frames)
        for c in 0..<channels {
            for i in 0..<frames { mono[i] += Double(mix.values[c * frames + i]) / Double(channels) }
        }
        let mean = mono.reduce(0, +) / Double(frames)
        let variance = mono.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(frames - 1)
        self.init(mean: Float(mean), std: Float(variance.squareRoot()))
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
