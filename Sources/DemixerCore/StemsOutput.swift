import AudioIO
import Demucs
import Foundation

extension AudioOutput {
    /// Writes `stems` as one NI Stems file at `path` with `master` (`[channel][frame]` at the
    /// stems' rate: the song itself, or a remix) as its master track. All five are clipped
    /// with `clip` together; the model's stems fold into NI's four slots as
    /// `StemsFile.init(master:separated:)` says. Atomic and cancellable like ``write(_:to:format:context:)``.
    public static func writeStemsFile(
        master: [[Float]], stems: Stems, sampleRate: Int, clip: ClipMode, to path: URL, context: JobContext
    ) throws {
        let buffers = clip.apply(to: ([master] + stems.samples).map { AudioBuffer(sampleRate: sampleRate, channels: $0) })
        let file = StemsFile(master: buffers[0], separated: zip(stems.names, buffers.dropFirst()).map { (name: $0, audio: $1) })
        try writing(to: path) { try file.write(to: path.path, isCancelled: { context.isCancelled }) }
    }
}

extension Track {
    /// An NI Stems file as a track (its master) and its stems, named from its manifest,
    /// at the file's rate: what `mix` and the player use instead of separating.
    public static func loadStems(_ path: String) throws(Failure) -> (track: Track, stems: Stems) {
        let file: StemsFile
        do {
            file = try StemsFile.read(path)
        } catch {
            throw Failure(message: error.description, status: ExitStatus.unreadableInput)
        }
        let master = file.master
        let (name, fileExtension) = nameAndExtension(of: path)
        let mix: MappedAudio
        do {
            mix = try MappedAudio(copying: master)
        } catch {
            throw Failure(message: error.description, status: ExitStatus.writeFailure)
        }
        let track = Track(
            name: name, fileExtension: fileExtension, sourceRate: master.sampleRate, sourceChannels: master.channelCount,
            mix: mix, warnings: file.warnings)
        return (track, Stems(names: file.stems.map(\.name), samples: file.stems.map(\.audio.channels)))
    }


    /// The song as `[channel][frame]` at ``sampleRate``: the master track of a stems file.
    public var mixChannels: [[Float]] {
        mix.copy(frames: 0..<frameCount).channels
    }
}
