import ArgumentParser
import AudioIO
import DemixerCore
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
