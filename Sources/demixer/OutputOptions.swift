import ArgumentParser
import AudioIO
import DemixerCore
import Foundation

/// How separated or remixed audio is written: shared by `separate` and `mix`.
struct OutputOptions: ParsableArguments {
    @Option(help: "Output format: wav, flac or mp3 (default: from the output's extension, else wav).")
    var format: AudioFileFormat.Container?

    @Option(help: "Sample format for wav (16, 24, 32f) and flac (16, 24); default 16.")
    var bits: AudioFileFormat.SampleType?

    @Option(help: "Avoiding clipping: rescale (all outputs together), clamp or none.")
    var clip: ClipChoice = .rescale

    func validate() throws {
        _ = try fileFormat(forPath: nil, option: "")
    }

    /// The format for `--format`/`--bits` and the extension of `path` (given with
    /// `option`): the extension picks the format when `--format` does not, and must agree
    /// with it when it does. A `{placeholder}` extension, or none, picks nothing.
    /// - Throws: `ValidationError` for an extension that is not wav, flac or mp3, a
    ///   mismatch, or a bit depth the format cannot store.
    func fileFormat(forPath path: String?, option: String) throws -> AudioFileFormat {
        let fileExtension = path.map { URL(fileURLWithPath: $0).pathExtension } ?? ""
        let named = fileExtension.isEmpty || fileExtension.contains("{") ? nil : path
        do {
            return try AudioFileFormat.forOutput(path: named, container: format, type: bits)
        } catch {
            // The error names the path when there is one.
            throw ValidationError(named == nil ? "--format/--bits: \(error)" : "\(option) \(error)")
        }
    }
}

extension AudioFileFormat.Container: ExpressibleByArgument {}
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
