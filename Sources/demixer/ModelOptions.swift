import ArgumentParser
import DemixerCore

/// The model options shared by `separate`, `mix` and the player.
struct ModelOptions: ParsableArguments {
    @Option(name: [.customShort("n"), .long], help: "Pretrained model name (see `demixer weights list`; default: from the config file, else htdemucs).")
    var name: String?

    @Option(help: ArgumentHelp("A model file (.th or .safetensors) to use instead of an installed model.", valueName: "path"))
    var weights: String?

    @Option(help: "Overlap between consecutive segments, 0 to 0.9 (default: from the config file, else 0.25).")
    var overlap: Double?

    @Option(help: "Random shifts averaged for time equivariance, 0 to 20 (each costs one more pass).")
    var shifts = 0

    @Option(help: ArgumentHelp("Segment length in seconds, from 1 to the model's own (7.8 for htdemucs).", valueName: "seconds"))
    var segment: Double?

    @Option(help: ArgumentHelp("Seed for the shifts' random offsets.", valueName: "n"))
    var seed: UInt64 = 0

    @Flag(help: "Neither read nor write the stem cache.")
    var noCache = false

    func validate() throws {
        let problems = [
            overlap.flatMap { SettingRange.overlap.problem("--overlap", $0) },
            SettingRange.shifts.problem("--shifts", Double(shifts)),
            segment.flatMap { SettingRange.segment.problem("--segment", $0) },
        ]
        if let problem = problems.compactMap({ $0 }).first { throw ValidationError(problem) }
    }

    /// The chosen model; what the options leave open comes from `config`. With
    /// `demoFallback`, a model the command line did not name that is not installed
    /// gives way to the bundled demo model, and `LoadedModel.notice` says so.
    func load(config: Config, demoFallback: Bool = false) throws(Failure) -> LoadedModel {
        let request = ModelRequest(
            name: name, weightsPath: weights, overlap: overlap ?? config.overlap, shifts: shifts,
            segmentSeconds: segment, seed: seed, useCache: !noCache, cacheMaxSize: config.cacheMaxSize)
        return try request.load(defaultName: config.model, demoFallback: demoFallback)
    }
}
