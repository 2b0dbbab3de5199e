import AudioIO
import Foundation
import Mixing
import Playback

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

    /// Writes the files of `request` from the complete `store` mixed by `state` at
    /// `stretch`'s tempo and key (the remix at Rubber Band's finest, stems so that they
    /// stay aligned), clipped by rescaling; returns what was written, for the status line.
    /// At the original tempo and key, audio files stream block by block; a stretch or an
    /// NI Stems file needs the whole track in memory.
    public static func export(
        _ request: ExportRequest, of track: Track, store: StemStore, state: MixState,
        stretch: StretchSettings = .original, context: JobContext
    ) throws -> String {
        let names = state.strips.map(\.name)
        let target = request.kind == .remix ? "\(track.name) (remix)" : track.name + "/"
        let written = "exported \(request.destination.appendingPathComponent(target).path)"
        if case .audio(let format) = request.format, stretch == .original {
            let outputs: [StreamedOutput] =
                switch request.kind {
                case .remix:
                    [StreamedOutput(url: request.destination.appendingPathComponent("\(target).\(format.fileExtension)")) {
                        renderMix(stems: store.stems(in: $0), state: state)
                    }]
                case .stems:
                    names.enumerated().map { index, name in
                        StreamedOutput(url: request.destination.appendingPathComponent("\(track.name)/\(name).\(format.fileExtension)")) {
                            store.channels(ofStem: index, in: $0)
                        }
                    }
                }
            try writeStreamed(outputs, of: track, format: format, clip: .rescale, context: context)
            return written
        }
        let stems = store.stems(in: 0..<store.frameCount)
        guard case .audio(let format) = request.format else {
            // Every track of a stems file is stretched alike, so that they stay aligned.
            func aligned(_ channels: [[Float]]) throws -> [[Float]] {
                try context.checkCancelled()
                return stretched(channels, sampleRate: track.sampleRate, settings: stretch, mode: .stemAligned)
            }
            let master = request.kind == .remix ? renderMix(stems: stems, state: state) : track.mixChannels
            let url = request.destination.appendingPathComponent("\(track.name).stem.mp4")
            try writeStemsFile(
                master: try aligned(master), stems: Stems(names: names, samples: try stems.map(aligned)),
                sampleRate: track.sampleRate, clip: .rescale, to: url, context: context)
            return "exported \(url.path)"
        }
        let unstretched: [(String, [[Float]])] =
            switch request.kind {
            case .remix: [(target, renderMix(stems: stems, state: state))]
            case .stems: zip(names.map { "\(track.name)/\($0)" }, stems).map { ($0, $1) }
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
        return written
    }

    /// Writes `outputs` at the track's source rate and channel count, clipped with `clip`
    /// all together, each file atomically: the same bytes as `Track.prepareForWriting`
    /// then `write` on whole buffers, in memory that does not grow with the track. When
    /// `clip` rescales, a first pass finds the peak of every output.
    public static func writeStreamed(
        _ outputs: [StreamedOutput], of track: Track, format: AudioFileFormat, clip: ClipMode, context: JobContext,
        onWritten: (URL) -> Void = { _ in }
    ) throws {
        var gain: Float = 1
        if clip == .rescale {
            var peak: Float = 0
            for output in outputs {
                try track.forEachOutputBlock(of: output.render, context: context) { peak = max(peak, ClipMode.peak(of: $0)) }
            }
            gain = clip.gain(forPeak: peak)
        }
        for (index, output) in outputs.enumerated() {
            try writing(to: output.url) {
                let writer = try AudioFileWriter(
                    path: output.url.path, format: format, sampleRate: track.sourceRate,
                    channelCount: track.sourceChannels == 1 ? 1 : track.channelCount)
                try track.forEachOutputBlock(of: output.render, context: context) { block in
                    try writer.append(clip.apply(block, gain: gain), isCancelled: { context.isCancelled })
                }
                try writer.commit()
            }
            onWritten(output.url)
            context.report(progress: Double(index + 1) / Double(outputs.count))
        }
    }
}

/// One output file rendered from the stems a block at a time.
public struct StreamedOutput {
    public let url: URL
    /// `[channel][frame]` for the frames asked for, at the track's (the model's) rate.
    public let render: (Range<Int>) -> [[Float]]

    public init(url: URL, render: @escaping (Range<Int>) -> [[Float]]) {
        self.url = url
        self.render = render
    }
}

extension Track {
    /// Frames rendered at a time by streamed outputs.
    static let outputBlockFrames = 65_536

    /// Calls `body` with `render`'s whole track, block by block, in the shape the track is
    /// written in: at the source's rate and, for a mono source, mono.
    func forEachOutputBlock(
        of render: (Range<Int>) -> [[Float]], context: JobContext, _ body: (AudioBuffer) throws -> Void
    ) throws {
        func shaped(_ channels: [[Float]]) -> AudioBuffer {
            let buffer = AudioBuffer(sampleRate: sourceRate, channels: channels)
            return sourceChannels == 1 ? buffer.remixed(toChannelCount: 1) : buffer
        }
        func blocks(_ convert: ([[Float]]) throws -> [[Float]]) throws {
            for start in stride(from: 0, to: frameCount, by: Self.outputBlockFrames) {
                try context.checkCancelled()
                try body(shaped(convert(render(start..<min(start + Self.outputBlockFrames, frameCount)))))
            }
        }
        guard sourceRate != sampleRate else { return try blocks { $0 } }
        var resampler = try Resampler(from: sampleRate, to: sourceRate, channelCount: channelCount)
        try blocks { try resampler.process($0) }
        try body(shaped(resampler.finish()))
    }
}
