import ArgumentParser
import AudioIO
import Demucs
import Foundation

/// `demixer separate`: what `demucs` does on the command line.
struct SeparateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "separate",
        abstract: "Separate audio files into stems and write them as audio files.")

    @Argument(help: "Audio files to separate.")
    var files: [String]

    @OptionGroup var model: ModelOptions

    @Option(name: .shortAndLong, help: ArgumentHelp("Output folder; stems go to DIR/MODEL/TEMPLATE.", valueName: "dir"))
    var out = "separated"

    @Option(help: ArgumentHelp("Write STEM and no_STEM (the sum of the others) only.", valueName: "stem"))
    var twoStems: String?

    @Option(help: "Output format: wav, flac or mp3.")
    var format: OutputFormat = .wav

    @Option(help: "Sample format for wav (16, 24, 32f) and flac (16, 24).")
    var bits: BitDepth = .sixteen

    @Option(help: "Avoiding clipping: rescale (all stems together), clamp or none.")
    var clip: ClipChoice = .rescale

    @Option(help: ArgumentHelp("Output path template: {track}, {trackext}, {stem}, {ext}.", valueName: "template"))
    var filename = "{track}/{stem}.{ext}"

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("name at least one audio file") }
        _ = try fileFormat()
    }

    func run() throws {
        try reportingFailures {
            let separator = try model.makeSeparator()
            let sources = separator.bag.sources
            if let twoStems, !sources.contains(twoStems) {
                throw Failure(
                    message: "--two-stems \(twoStems): the model has no such stem (it has \(sources.joined(separator: ", ")))",
                    status: ExitStatus.usage)
            }
            for file in files {
                let track = try Track.load(file, sampleRate: separator.bag.sampleRate)
                let stems = try separateTrack(track, with: separator, progress: ProgressReporter(label: track.name))
                try write(stems, of: track)
            }
        }
    }

    private func fileFormat() throws -> AudioFileFormat {
        switch (format, bits) {
        case (.wav, .sixteen): .wav16
        case (.wav, .twentyFour): .wav24
        case (.wav, .float32): .wavFloat32
        case (.flac, .sixteen): .flac16
        case (.flac, .twentyFour): .flac24
        case (.mp3, _): .mp3
        case (.flac, .float32): throw ValidationError("flac stores 16 or 24 bits, not 32-bit float")
        }
    }

    private func write(_ stems: Stems, of track: Track) throws {
        var named = zip(stems.names, stems.samples).map { ($0, $1) }
        if let twoStems, let index = stems.names.firstIndex(of: twoStems) {
            let rest = stems.samples.indices.filter { $0 != index }.map { stems.samples[$0] }
            let sum = rest.dropFirst().reduce(rest[0]) { total, stem in
                zip(total, stem).map { zip($0, $1).map(+) }
            }
            named = [(twoStems, stems.samples[index]), ("no_\(twoStems)", sum)]
        }
        let format = try fileFormat()
        var buffers = try named.map { _, channels in
            var buffer = AudioBuffer(sampleRate: 44_100, channels: channels)
            if track.sourceRate != buffer.sampleRate {
                buffer = try Resampler.resample(buffer, to: track.sourceRate)
            }
            return track.sourceChannels == 1 ? buffer.remixed(toChannelCount: 1) : buffer
        }
        buffers = clip.mode.apply(to: buffers)
        for ((stem, _), buffer) in zip(named, buffers) {
            let relative = filename
                .replacingOccurrences(of: "{track}", with: track.name)
                .replacingOccurrences(of: "{trackext}", with: track.fileExtension)
                .replacingOccurrences(of: "{stem}", with: stem)
                .replacingOccurrences(of: "{ext}", with: format.fileExtension)
            let path = URL(fileURLWithPath: out).appendingPathComponent(model.displayName).appendingPathComponent(relative)
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
    }
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
