import ArgumentParser
import AudioIO
import DemixerCore
import Foundation
import TerminalUI

/// `demixer [play] FILE`: the interactive mixer.
struct PlayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "play",
        abstract: "Open a song in the terminal mixer, playing while it separates (the default command).")

    @Argument(help: "The audio file to open.")
    var file: String

    @OptionGroup var model: ModelOptions

    @Option(help: ArgumentHelp("ALSA playback device (default: from the config file, else 'default').", valueName: "name"))
    var device: String?

    @Option(help: ArgumentHelp("Colour theme: a name from the themes folders or a path to a .toml file.", valueName: "name|path"))
    var theme: String?

    func run() throws {
        try reportingFailures {
            let config = try Config.load()
            let controller: any PlayerController
            var session: PlayerSession?
            var openingFailure: Failure?
            do {
                let loaded = try model.load(config: config, demoFallback: true)
                // An NI Stems file brings its own stems.
                let (track, stems): (Track, Stems?) =
                    StemsFile.isStemsFile(file) ? try Track.loadStems(file) : (try loadTrack(file, sampleRate: loaded.sampleRate), nil)
                session = try PlayerSession(
                    track: track, model: loaded, stems: stems, device: device ?? config.device, seekStep: config.seekStep,
                    preserveFormants: config.preserveFormants)
                controller = session!
            } catch let failure as Failure {
                openingFailure = failure
                controller = NoticeController(fileName: URL(fileURLWithPath: file).lastPathComponent, message: failure.message)
            }
            do {
                try TerminalApp.run(controller: controller, theme: theme ?? config.theme)
            } catch {
                session?.handle(.quit)
                throw Failure(message: "cannot open the terminal: \(error)", status: ExitStatus.usage)
            }
            // Every way out of the loop (q, a signal, a closed terminal) ends the jobs here.
            if let session, !session.snapshot().shouldQuit { session.handle(.quit) }
            if let signal = TerminalApp.stopSignal { throw ExitCode(128 + signal) }
            // Shown on screen; repeated in full once the terminal is back, with its status.
            if let openingFailure { throw openingFailure }
        }
    }
}
