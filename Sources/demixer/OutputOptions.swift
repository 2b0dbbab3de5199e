import ArgumentParser
import AudioIO
import Foundation

/// How separated or remixed audio is written: shared by `separate` and `mix`.
struct OutputOptions: ParsableArguments {
    @Option(help: "Output format: wav, flac or mp3 (default: from the file name, else wav).")
    var format: OutputFormat?

    @Option(help: "Sample format for wav (16, 24, 32f) and flac (16, 24).")
    var bits: BitDepth = .sixteen

    @Option(help: "Avoiding clipping: rescale (all outputs together), clamp or none.")
    var clip: ClipChoice = .rescale

    func validate() throws {
        _ = try fileFormat(forPath: nil)
    }

    /// The libsndfile format for `--format`/`--bits`, or for `path`'s extension.
    func fileFormat(forPath path: String?) throws -> AudioFileFormat {
        let chosen = format ?? path.flatMap { OutputFormat(rawValue: URL(fileURLWithPath: $0).pathExtension.lowercased()) } ?? .wav
        switch (chosen, bits) {
        case (.wav, .sixteen): return .wav16
        case (.wav, .twentyFour): return .wav24
        case (.wav, .float32): return .wavFloat32
        case (.flac, .sixteen): return .flac16
        case (.flac, .twentyFour): return .flac24
        case (.mp3, _): return .mp3
        case (.flac, .float32): throw ValidationError("flac stores 16 or 24 bits, not 32-bit float")
        }
    }

    /// The outputs back in the track's shape, clipped as asked.
    func prepare(_ outputs: [[[Float]]], for track: Track) throws -> [AudioBuffer] {
        try prepareForWriting(outputs, for: track, clip: clip.mode)
    }
}

/// Brings model-rate outputs (`[output][channel][frame]`) back to the track's sample
/// rate and channel count, then applies `clip` to all of them together.
func prepareForWriting(_ outputs: [[[Float]]], for track: Track, clip: ClipMode) throws -> [AudioBuffer] {
    let buffers = try outputs.map { channels in
        var buffer = AudioBuffer(sampleRate: 44_100, channels: channels)
        if track.sourceRate != buffer.sampleRate {
            do {
                buffer = try Resampler.resample(buffer, to: track.sourceRate)
            } catch {
                throw Failure(message: "\(error)", status: ExitStatus.writeFailure)
            }
        }
        return track.sourceChannels == 1 ? buffer.remixed(toChannelCount: 1) : buffer
    }
    return clip.apply(to: buffers)
}

/// Writes `buffer` atomically, creating the folder, reporting the path on stderr.
func writeAudio(_ buffer: AudioBuffer, to path: URL, format: AudioFileFormat) throws {
    do {
        try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
        try AudioFile.write(buffer, to: path.path, format: format)
    } catch let error as AudioIOError {
        throw Failure(message: error.description, status: ExitStatus.writeFailure)
    } catch {
        throw Failure(message: "\(path.path): \(error.localizedDescription)", status: ExitStatus.writeFailure)
    }
    printError("wrote \(path.path)")
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case wav, flac, mp3
}

enum BitDepth: String, ExpressibleByArgument, CaseIterable {
    case sixteen = "16"
    case twentyFour = "24"
    case float32 = "32f"
}

enum ClipChoice: String, ExpressibleByArgument, CaseIterable {
    case rescale, clamp, none

    var mode: ClipMode {
        switch self {
        case .rescale: .rescale
        case .clamp: .clamp
        case .none: .none
        }
    }
}
