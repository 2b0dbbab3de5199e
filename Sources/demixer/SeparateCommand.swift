import ArgumentParser
import AudioIO
import DemixerCore
import Foundation
import Mixing
import Playback

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

    @OptionGroup var stretch: StretchOptions

    @OptionGroup var output: OutputOptions

    @Option(help: ArgumentHelp(
        "Output path template: {track}, {trackext}, {stem}, {ext}; every output gets its own path inside DIR.",
        valueName: "template"))
    var filename = "{track}/{stem}.{ext}"

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("name at least one audio file") }
        if !output.writesStemsFile() { _ = try output.fileFormat(forPath: filename, option: "--filename") }
    }

    func run() throws {
        try reportingFailures {
            let jobs = BatchJobs()
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory), !isDirectory.boolValue {
                throw Failure(message: "-o \(out): exists and is not a folder", status: ExitStatus.writeFailure)
            }
            let loaded = try model.load(config: Config.load())
            let sources = loaded.sources
            if let twoStems, !sources.contains(twoStems) {
                throw Failure(
                    message: "--two-stems \(twoStems): the model has no such stem (it has \(sources.joined(separator: ", ")))",
                    status: ExitStatus.usage)
            }
            if output.writesStemsFile() {
                guard twoStems == nil else {
                    throw Failure(message: "--two-stems: a stem.mp4 file always holds four stems", status: ExitStatus.usage)
                }
                for file in files {
                    let track = try loadTrack(file, sampleRate: loaded.sampleRate)
                    for warning in track.warnings { printError("demixer: warning: \(warning)") }
                    let store = try separate(track, with: loaded, jobs: jobs).store
                    let stems = Stems(names: sources, samples: store.stems(in: 0..<store.frameCount))
                    try writeStemsFile(stems, of: track, model: loaded.displayName, jobs: jobs)
                }
                return
            }
            let format = try output.fileFormat(forPath: filename, option: "--filename")
            let plan = try OutputPlan(
                template: filename, directory: out, model: loaded.displayName, files: files,
                outputNames: twoStems.map { [$0, "no_\($0)"] } ?? sources, fileExtension: format.fileExtension)
            for path in plan.paths.joined() { try refuseNonRegularOutput(path) }
            for (file, paths) in zip(files, plan.paths) {
                let track = try loadTrack(file, sampleRate: loaded.sampleRate)
                for warning in track.warnings { printError("demixer: warning: \(warning)") }
                let store = try separate(track, with: loaded, jobs: jobs).store
                try jobs.wait(
                    for: jobs.group.start("writing \(track.fileName)", failureStatus: ExitStatus.writeFailure) { context in
                        guard stretch.settings == .original else {
                            for (path, buffer) in zip(paths, try buffers(for: store, names: sources, of: track)) {
                                try AudioOutput.write(buffer, to: path, format: format, context: context)
                                printError("wrote \(path.path)")
                            }
                            return
                        }
                        try AudioOutput.writeStreamed(
                            zip(paths, outputs(of: store, names: sources)).map { StreamedOutput(url: $0, render: $1) }, of: track,
                            format: format, clip: output.clip.mode, context: context,
                            onWritten: { printError("wrote \($0.path)") })
                    })
            }
        }
    }

    /// Writes `OUT/MODEL/TRACK.stem.mp4`: the song as the master, the stems in NI's four slots.
    private func writeStemsFile(_ stems: Stems, of track: Track, model: String, jobs: BatchJobs) throws {
        let path = URL(fileURLWithPath: out).appendingPathComponent(model).appendingPathComponent("\(track.name).stem.mp4")
        try refuseNonRegularOutput(path)
        try jobs.wait(
            for: jobs.group.start("writing \(track.fileName)", failureStatus: ExitStatus.writeFailure) { context in
                try AudioOutput.writeStemsFile(
                    master: track.mixChannels, stems: stems, sampleRate: track.sampleRate, clip: output.clip.mode, to: path,
                    context: context)
            })
        printError("wrote \(path.path)")
    }

    /// What each output file holds, rendered a block at a time at the model's rate:
    /// every stem, or with `--two-stems` the stem and the sum of the others.
    private func outputs(of store: StemStore, names: [String]) -> [(Range<Int>) -> [[Float]]] {
        guard let twoStems, let index = names.firstIndex(of: twoStems) else {
            return (0..<store.stemCount).map { stem in { store.channels(ofStem: stem, in: $0) } }
        }
        var others = MixState(stems: names)
        others.strips[index].isMuted = true
        return [{ store.channels(ofStem: index, in: $0) }, { [others] in renderMix(stems: store.stems(in: $0), state: others) }]
    }

    /// The outputs of `store` in the source's shape at the `--tempo` and `--pitch` asked
    /// for, stretched alike so that they stay aligned: the whole track at once, as Rubber
    /// Band's offline mode needs it.
    private func buffers(for store: StemStore, names: [String], of track: Track) throws -> [AudioBuffer] {
        let whole = 0..<store.frameCount
        return try track.prepareForWriting(
            outputs(of: store, names: names).map {
                stretched($0(whole), sampleRate: track.sampleRate, settings: stretch.settings, mode: .stemAligned)
            },
            clip: output.clip.mode)
    }
}

/// The stems of `track` in a complete store: from the cache or separated (resuming an
/// interrupted run) with a progress bar, in `jobs`.
func separate(_ track: Track, with model: LoadedModel, jobs: BatchJobs) throws -> PreparedStems {
    let progress = ProgressReporter(label: track.name)
    let started = Date()
    let job = Separation.stems(of: track, with: model, in: jobs.group, warn: { printError("demixer: warning: \($0)") })
    // The speed counts from the first report on, so a resumed run's earlier part is not in it.
    var first: (fraction: Double, elapsed: Double)?
    let prepared = try jobs.wait(for: job) { fraction in
        guard fraction > 0 else { return }
        let elapsed = Date().timeIntervalSince(started)
        if first == nil { first = (fraction, elapsed) }
        progress.update(fraction: fraction, audioSeconds: track.duration, elapsed: elapsed, since: first!)
    }
    if prepared.isFromCache {
        printError("\(track.name): stems from the cache")
    } else {
        let separated = track.duration * Double(track.frameCount - prepared.resumedFrames) / Double(max(track.frameCount, 1))
        progress.finish(audioSeconds: separated, elapsed: Date().timeIntervalSince(started))
    }
    return prepared
}
