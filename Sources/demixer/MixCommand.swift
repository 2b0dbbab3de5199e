import ArgumentParser
import AudioIO
import DemixerCore
import Foundation
import Mixing
import Playback

/// `demixer mix`: render a remix with the player's mixer rules.
struct MixCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mix",
        abstract: "Separate a song and render a remix of its stems to one audio file.",
        discussion: """
            Gains are in dB (use -inf for silence). Mute wins over solo; with any stem soloed, \
            only soloed stems sound. A preset is applied first, then --gain, --mute and --solo. \
            --tempo and --pitch change the remix's speed and key independently (Rubber Band).
            """)

    @Argument(help: "The audio file to remix (a .stem.mp4 brings its own stems).")
    var file: String

    @OptionGroup var model: ModelOptions

    @Option(name: .customLong("gain"), help: ArgumentHelp("A stem's gain, e.g. drums=+3 or vocals=-inf.", valueName: "stem=dB"))
    var gains: [String] = []

    @Option(name: .customLong("mute"), help: ArgumentHelp("Silence a stem.", valueName: "stem"))
    var mutes: [String] = []

    @Option(name: .customLong("solo"), help: ArgumentHelp("Hear only the soloed stems.", valueName: "stem"))
    var solos: [String] = []

    @Option(help: "Start from a preset: \(Preset.allCases.map { "\($0.rawValue) (\($0.summary))" }.joined(separator: ", ")).")
    var preset: Preset?

    @Option(name: .shortAndLong, help: ArgumentHelp("The output file.", valueName: "path"))
    var out: String

    @OptionGroup var stretch: StretchOptions

    @OptionGroup var output: OutputOptions

    func validate() throws {
        for gain in gains {
            guard let (_, dB) = Self.parseGain(gain), !dB.isNaN else {
                throw ValidationError("--gain \(gain): expected STEM=DB, e.g. drums=+3 or vocals=-inf")
            }
        }
        if !output.writesStemsFile(toPath: out) { _ = try output.fileFormat(forPath: out, option: "-o") }
    }

    func run() throws {
        try reportingFailures {
            let jobs = BatchJobs()
            let path = URL(fileURLWithPath: out)
            try refuseNonRegularOutput(path)
            let format = output.writesStemsFile(toPath: out) ? nil : try output.fileFormat(forPath: out, option: "-o")
            let (track, names, state): (Track, [String], MixState)
            let store: StemStore
            if StemsFile.isStemsFile(file) {
                // A stems file brings its own stems: no model, no separation.
                let stems: Stems
                (track, stems) = try Track.loadStems(file)
                names = stems.names
                state = try mixState(stems: names)
                for warning in track.warnings { printError("demixer: warning: \(warning)") }
                store = try PreparedStems.given(stems, of: track).store
            } else {
                let loaded = try model.load(config: Config.load())
                names = loaded.sources
                state = try mixState(stems: names)
                track = try loadTrack(file, sampleRate: loaded.sampleRate)
                for warning in track.warnings { printError("demixer: warning: \(warning)") }
                store = try separate(track, with: loaded, jobs: jobs).store
            }
            if let format, stretch.settings == .original {
                try jobs.wait(
                    for: jobs.group.start("writing \(path.lastPathComponent)", failureStatus: ExitStatus.writeFailure) { context in
                        let remix = StreamedOutput(url: path) { renderMix(stems: store.stems(in: $0), state: state) }
                        try AudioOutput.writeStreamed([remix], of: track, format: format, clip: output.clip.mode, context: context)
                    })
                printError("wrote \(path.path)")
                return
            }
            // A stretch (Rubber Band's offline mode) or a stems file takes the whole track at once.
            let whole = store.stems(in: 0..<store.frameCount)
            let remix = stretched(renderMix(stems: whole, state: state), sampleRate: track.sampleRate, settings: stretch.settings)
            guard let format else {
                try jobs.wait(
                    for: jobs.group.start("writing \(path.lastPathComponent)", failureStatus: ExitStatus.writeFailure) { context in
                        try AudioOutput.writeStemsFile(
                            master: remix, stems: Stems(names: names, samples: whole), sampleRate: track.sampleRate,
                            clip: output.clip.mode, to: path, context: context)
                    })
                printError("wrote \(path.path)")
                return
            }
            let buffer = try track.prepareForWriting([remix], clip: output.clip.mode)[0]
            try jobs.wait(
                for: jobs.group.start("writing \(path.lastPathComponent)", failureStatus: ExitStatus.writeFailure) { context in
                    try AudioOutput.write(buffer, to: path, format: format, context: context)
                })
            printError("wrote \(path.path)")
        }
    }

    /// The mixer state the options describe, checking every stem name against the model.
    func mixState(stems: [String]) throws -> MixState {
        var state = preset?.state(stems: stems) ?? MixState(stems: stems)
        func index(_ name: String) throws -> Int {
            guard let i = state.index(of: name) else {
                throw Failure(
                    message: "no stem '\(name)' in this model (it has \(stems.joined(separator: ", ")))",
                    status: ExitStatus.usage)
            }
            return i
        }
        for gain in gains {
            let (name, dB) = Self.parseGain(gain)!
            state.setGain(of: try index(name), dB: dB)
        }
        for name in mutes { state.strips[try index(name)].isMuted = true }
        for name in solos { state.strips[try index(name)].isSoloed = true }
        return state
    }

    static func parseGain(_ text: String) -> (String, Double)? {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return nil }
        let value = parts[1].lowercased()
        if value == "-inf" || value == "-∞" { return (parts[0], -.infinity) }
        guard let dB = Double(value.hasPrefix("+") ? String(value.dropFirst()) : value) else { return nil }
        return (parts[0], dB)
    }
}

extension Preset: ExpressibleByArgument {}
