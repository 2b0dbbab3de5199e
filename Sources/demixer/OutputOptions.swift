import ArgumentParser
import AudioIO
import DemixerCore
import Foundation

/// How separated or remixed audio is written: shared by `separate` and `mix`.
struct OutputOptions: ParsableArguments {
    @Option(help: "Output format: wav, flac, mp3 or stem.mp4 (NI Stems) (default: from the output's extension, else wav).")
    var format: OutputFormat?

    @Option(help: "Sample format for wav (16, 24, 32f) and flac (16, 24); default 16.")
    var bits: BitDepth?

    @Option(help: "Avoiding clipping: rescale (all outputs together), clamp or none.")
    var clip: ClipChoice = .rescale

    func validate() throws {
        if !writesStemsFile() { _ = try fileFormat(forPath: nil, option: "") }
    }

    /// Whether to write one NI Stems file: `--format stem.mp4`, or no `--format` and a `path` ending in `.stem.mp4`.
    func writesStemsFile(toPath path: String? = nil) -> Bool {
        format == .stemMP4 || (format == nil && path?.lowercased().hasSuffix(".stem.mp4") == true)
    }

    /// The libsndfile format for `--format`/`--bits` and the extension of `path` (given
    /// with `option`): the extension picks the format when `--format` does not, and
    /// must agree with it when it does. A `{placeholder}` extension, or none, picks nothing.
    /// - Throws: `ValidationError` for an extension that is not wav, flac or mp3, a
    ///   mismatch, or a bit depth the format cannot store.
    func fileFormat(forPath path: String?, option: String) throws -> AudioFileFormat {
        let fileExtension = path.map { URL(fileURLWithPath: $0).pathExtension.lowercased() } ?? ""
        var named: OutputFormat?
        if !fileExtension.isEmpty && !fileExtension.contains("{") {
            guard let format = OutputFormat(rawValue: fileExtension) else {
                throw ValidationError("\(option) \(path!): .\(fileExtension) is not a format demixer writes (wav, flac or mp3)")
            }
            named = format
        }
        if let format, let named, format != named {
            throw ValidationError("--format \(format.rawValue) does not match \(option) \(path!): use a .\(format.rawValue) name")
        }
        switch (format ?? named ?? .wav, bits ?? .sixteen) {
        case (.wav, .sixteen): return .wav16
        case (.wav, .twentyFour): return .wav24
        case (.wav, .float32): return .wavFloat32
        case (.flac, .sixteen): return .flac16
        case (.flac, .twentyFour): return .flac24
        case (.flac, .float32): throw ValidationError("--bits 32f: flac stores 16 or 24 bits, not 32-bit float")
        case (.stemMP4, _): throw ValidationError("--format stem.mp4 writes one NI Stems file, not a file per output")
        case (.mp3, let depth):
            guard bits == nil else { throw ValidationError("--bits \(depth.rawValue): mp3 has no bit depth; leave --bits out") }
            return .mp3
        }
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case wav, flac, mp3
    /// One NI Stems file: a master and the four stems.
    case stemMP4 = "stem.mp4"
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
