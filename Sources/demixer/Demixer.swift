import ArgumentParser
import CCPUFeatures
import Foundation

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

    /// Refuses to start on a CPU that cannot run the engine's code, rather than dying of
    /// an illegal instruction in the middle of a song.
    static func main() {
        guard cpu_runs_engine_code() else {
            printError("demixer: this CPU lacks AVX2 and FMA (x86-64-v3), which Demixer's separation engine is built for")
            Self.exit(withError: ExitCode(ExitStatus.unsupportedCPU))
        }
        main(nil)
    }
}
