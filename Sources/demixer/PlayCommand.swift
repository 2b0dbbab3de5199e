import ArgumentParser
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
            let loaded = try model.load(config: config)
            let track = try Track.load(file, sampleRate: loaded.separator.bag.sampleRate)
            let session = PlayerSession(
                track: track, model: loaded, device: device ?? config.device, seekStep: config.seekStep)
            do {
                try TerminalApp.run(controller: session, theme: theme ?? config.theme)
            } catch {
                session.handle(.quit)
                throw Failure(message: "cannot open the terminal: \(error)", status: ExitStatus.usage)
            }
            if !session.snapshot().shouldQuit { session.handle(.quit) }
        }
    }
}
