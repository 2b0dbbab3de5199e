import ArgumentParser
import Demucs

/// The `demixer` command: the interactive stem mixer and its batch commands.
@main
struct Demixer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demixer",
        abstract: "Separate songs into stems with HT Demucs and mix them live.",
        version: "0.1.0",
        subcommands: [
            PlayCommand.self, SeparateCommand.self, MixCommand.self, WeightsCommand.self, CacheCommand.self,
            BenchCommand.self,
        ],
        defaultSubcommand: PlayCommand.self)

    /// Applies the engine's process-wide settings once, then parses and runs the command.
    static func main() {
        EngineProcess.configure()
        main(nil)
    }
}
