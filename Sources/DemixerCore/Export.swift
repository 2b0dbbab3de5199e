import AudioIO
import Foundation
import Mixing

/// What the player's export writes: the remix as heard, or every stem, as audio files
/// or as one NI Stems file (whose master is then the remix, or the song itself).
public struct ExportRequest: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case remix, stems }

    public enum Format: Sendable, Equatable {
        case audio(AudioFileFormat)
        case stemsFile
    }

    public var kind: Kind
    public var format: Format
    /// The folder the files go into.
    public var destination: URL

    public init(kind: Kind, format: Format, destination: URL) {
        self.kind = kind
        self.format = format
        self.destination = destination
    }
}

/// Writing audio the way every command and the player do: atomically, cancellable,
/// creating the folder, failures as `Failure`s with exit status 73.
public enum AudioOutput {
    /// Writes `buffer` to `path` through a temporary file renamed into place; a
    /// cancelled `context` stops it between blocks with nothing left behind.
    public static func write(
        _ buffer: AudioBuffer, to path: URL, format: AudioFileFormat, context: JobContext
    ) throws {
        try writing(to: path) {
            try AudioFile.write(buffer, to: path.path, format: format, isCancelled: { context.isCancelled })
        }
    }

    /// Runs `write` after creating `path`'s folder, turning what it throws into what a
    /// job reports: a cancelled write into `JobCancelled`, any other into a `Failure`
    /// with exit status 73.
    static func writing(to path: URL, _ write: () throws -> Void) throws {
        do {
            try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
            try write()
        } catch let error as AudioIOError {
            if error.reason == .cancelled { throw JobCancelled() }
            throw Failure(message: error.description, status: ExitStatus.writeFailure)
        } catch {
            throw Failure(message: "\(path.path): \(error.localizedDescription)", status: ExitStatus.writeFailure)
        }
    }

    /// Writes the files of `request` from whole-track `stems` mixed by `state` at
    /// `stretch`'s tempo and key (the remix at Rubber Band's finest, stems so that they
    /// stay aligned), clipped by rescaling;
    /// returns what was written, for the status line.
    public static func export(
        _ request: ExportRequest, of track: Track, stems: [[[Float]]], state: MixState,
        stretch: StretchSettings = .original, context: JobContext
    ) throws -> String {
        guard case .audio(let format) = request.format else {
            // Every track of a stems file is stretched alike, so that they stay aligned.
            func aligned(_ channels: [[Float]]) throws -> [[Float]] {
                try context.checkCancelled()
                return stretched(channels, sampleRate: track.sampleRate, settings: stretch, mode: .stemAligned)
            }
            let master = request.kind == .remix ? renderMix(stems: stems, state: state) : track.mixChannels
            let url = request.destination.appendingPathComponent("\(track.name).stem.mp4")
            try writeStemsFile(
                master: try aligned(master), stems: Stems(names: state.strips.map(\.name), samples: try stems.map(aligned)),
                sampleRate: track.sampleRate, clip: .rescale, to: url, context: context)
            return "exported \(url.path)"
        }
        let unstretched: [(String, [[Float]])] =
            switch request.kind {
            case .remix: [("\(track.name) (remix)", renderMix(stems: stems, state: state))]
            case .stems: zip(state.strips.map { "\(track.name)/\($0.name)" }, stems).map { ($0, $1) }
            }
        let outputs = try unstretched.map { name, channels in
            try context.checkCancelled()
            let mode: OfflineStretchMode = request.kind == .remix ? .finest : .stemAligned
            return (name, stretched(channels, sampleRate: track.sampleRate, settings: stretch, mode: mode))
        }
        let buffers = try track.prepareForWriting(outputs.map(\.1), clip: .rescale)
        for (index, ((name, _), buffer)) in zip(outputs, buffers).enumerated() {
            try context.checkCancelled()
            let url = request.destination.appendingPathComponent("\(name).\(format.fileExtension)")
            try write(buffer, to: url, format: format, context: context)
            context.report(progress: Double(index + 1) / Double(outputs.count))
        }
        let target = request.kind == .remix ? outputs[0].0 : track.name + "/"
        return "exported \(request.destination.appendingPathComponent(target).path)"
    }
}
