import ArgumentParser
import AudioIO
import DemixerCore
import Foundation

/// How separated or remixed audio is written: shared by `separate` and `mix`.
struct OutputOptions: ParsableArguments {
    @Option(help: "Output format: wav, flac, mp3 or stem.mp4 (NI Stems) (default: from the output's extension, else wav).")
    var format: OutputFormat?

    @Option(help: "Sample format for wav (16, 24, 32f) and flac (16, 24); default 16.")
    var bits: AudioFileFormat.SampleType?

    @Option(help: "Avoiding clipping: rescale (all outputs together), clamp or none.")
    var clip: ClipChoice = .rescale

    func validate() throws {
        if !writesStemsFile() { _ = try fileFormat(forPath: nil, option: "") }
    }

    /// Whether to write one NI Stems file: `--format stem.mp4`, or no `--format` and a `path` ending in `.stem.mp4`.
    func writesStemsFile(toPath path: String? = nil) -> Bool {
        format == .stemMP4 || (format == nil && path?.lowercased().hasSuffix(".stem.mp4") == true)
    }

    /// The format for `--format`/`--bits` and the extension of `path` (given with
    /// `option`): the extension picks the format when `--format` does not, and must agree
    /// with it when it does. A `{placeholder}` extension, or none, picks nothing.
    /// - Throws: `ValidationError` for an extension that is not wav, flac or mp3, a
    ///   mismatch, or a bit depth the format cannot store.
    func fileFormat(forPath path: String?, option: String) throws -> AudioFileFormat {
        guard format != .stemMP4 else {
            throw ValidationError("--format stem.mp4 writes one NI Stems file, not a file per output")
        }
        let fileExtension = path.map { URL(fileURLWithPath: $0).pathExtension } ?? ""
        let named = fileExtension.isEmpty || fileExtension.contains("{") ? nil : path
        do {
            return try AudioFileFormat.forOutput(path: named, container: format?.container, type: bits)
        } catch {
            // The error names the path when there is one.
            throw ValidationError(named == nil ? "--format/--bits: \(error)" : "\(option) \(error)")
        }
    }
}

/// `--format`: a container written per output, or one NI Stems file.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case wav, flac, mp3
    /// One NI Stems file: a master and the four stems.
    case stemMP4 = "stem.mp4"

    /// The per-output container; nil for a stems file.
    var container: AudioFileFormat.Container? { AudioFileFormat.Container(rawValue: rawValue) }
}

extension AudioFileFormat.SampleType: ExpressibleByArgument {}

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
