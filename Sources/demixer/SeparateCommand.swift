import ArgumentParser
import AudioIO
import Demucs
import Foundation
import Mixing

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

    @OptionGroup var output: OutputOptions

    @Option(help: ArgumentHelp("Output path template: {track}, {trackext}, {stem}, {ext}.", valueName: "template"))
    var filename = "{track}/{stem}.{ext}"

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("name at least one audio file") }
    }

    func run() throws {
        try reportingFailures {
            let loaded = try model.load(config: Config.load())
            let sources = loaded.separator.bag.sources
            if let twoStems, !sources.contains(twoStems) {
                throw Failure(
                    message: "--two-stems \(twoStems): the model has no such stem (it has \(sources.joined(separator: ", ")))",
                    status: ExitStatus.usage)
            }
            for file in files {
                let track = try Track.load(file, sampleRate: loaded.separator.bag.sampleRate)
                try write(try loaded.stems(for: track), of: track, model: loaded.displayName)
            }
        }
    }

    private func write(_ stems: Stems, of track: Track, model: String) throws {
        var named = zip(stems.names, stems.samples).map { ($0, $1) }
        if let twoStems, let index = stems.names.firstIndex(of: twoStems) {
            var others = MixState(stems: stems.names)
            others.strips[index].isMuted = true
            named = [(twoStems, stems.samples[index]), ("no_\(twoStems)", renderMix(stems: stems.samples, state: others))]
        }
        let format = try output.fileFormat(forPath: nil)
        let buffers = try output.prepare(named.map(\.1), for: track)
        for ((stem, _), buffer) in zip(named, buffers) {
            let relative = filename
                .replacingOccurrences(of: "{track}", with: track.name)
                .replacingOccurrences(of: "{trackext}", with: track.fileExtension)
                .replacingOccurrences(of: "{stem}", with: stem)
                .replacingOccurrences(of: "{ext}", with: format.fileExtension)
            let path = URL(fileURLWithPath: out).appendingPathComponent(model).appendingPathComponent(relative)
            try writeAudio(buffer, to: path, format: format)
        }
    }
}

