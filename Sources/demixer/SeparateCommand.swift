import ArgumentParser
import AudioIO
import DemixerCore
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
            let jobs = BatchJobs()
            let loaded = try model.load(config: Config.load())
            let sources = loaded.sources
            if let twoStems, !sources.contains(twoStems) {
                throw Failure(
                    message: "--two-stems \(twoStems): the model has no such stem (it has \(sources.joined(separator: ", ")))",
                    status: ExitStatus.usage)
            }
            let format = try output.fileFormat(forPath: nil)
            for file in files {
                let track = try Track.load(file, sampleRate: loaded.sampleRate)
                for warning in track.warnings { printError("demixer: warning: \(warning)") }
                let stems = try separate(track, with: loaded, jobs: jobs)
                let outputs = try files(for: stems, of: track, model: loaded.displayName, format: format)
                try jobs.wait(
                    for: jobs.group.start("writing \(track.fileName)", failureStatus: ExitStatus.writeFailure) { context in
                        for (path, buffer) in outputs {
                            try AudioOutput.write(buffer, to: path, format: format, context: context)
                            printError("wrote \(path.path)")
                        }
                    })
            }
        }
    }

    /// The output files of `stems`: paths from the template, buffers in the source's shape.
    private func files(for stems: Stems, of track: Track, model: String, format: AudioFileFormat) throws -> [(URL, AudioBuffer)] {
        var named = zip(stems.names, stems.samples).map { ($0, $1) }
        if let twoStems, let index = stems.names.firstIndex(of: twoStems) {
            var others = MixState(stems: stems.names)
            others.strips[index].isMuted = true
            named = [(twoStems, stems.samples[index]), ("no_\(twoStems)", renderMix(stems: stems.samples, state: others))]
        }
        let buffers = try track.prepareForWriting(named.map(\.1), clip: output.clip.mode)
        return zip(named, buffers).map { named, buffer in
            let relative = filename
                .replacingOccurrences(of: "{track}", with: track.name)
                .replacingOccurrences(of: "{trackext}", with: track.fileExtension)
                .replacingOccurrences(of: "{stem}", with: named.0)
                .replacingOccurrences(of: "{ext}", with: format.fileExtension)
            return (URL(fileURLWithPath: out).appendingPathComponent(model).appendingPathComponent(relative), buffer)
        }
    }
}

/// The stems of `track`, from the cache or separated with a progress bar, in `jobs`.
func separate(_ track: Track, with model: LoadedModel, jobs: BatchJobs) throws -> Stems {
    let progress = ProgressReporter(label: track.name)
    let started = Date()
    let job = Separation.stems(of: track, with: model, in: jobs.group, warn: { printError("demixer: warning: \($0)") })
    let result = try jobs.wait(for: job) { fraction in
        if fraction > 0 {
            progress.update(fraction: fraction, audioSeconds: track.duration, elapsed: Date().timeIntervalSince(started))
        }
    }
    if result.fromCache {
        printError("\(track.name): stems from the cache")
    } else {
        progress.finish(audioSeconds: track.duration, elapsed: Date().timeIntervalSince(started))
    }
    return result.stems
}
