import ArgumentParser
import DemixerCore

/// The model options shared by `separate`, `mix` and the player.
struct ModelOptions: ParsableArguments {
    @Option(name: [.customShort("n"), .long], help: "Pretrained model name (see `demixer weights list`; default: from the config file, else htdemucs).")
    var name: String?

    @Option(help: ArgumentHelp("A model file (.th or .safetensors) to use instead of an installed model.", valueName: "path"))
    var weights: String?

    @Option(help: "Overlap between consecutive segments, 0 <= overlap < 1 (default: from the config file, else 0.25).")
    var overlap: Double?

    @Option(help: "Random shifts averaged for time equivariance (each costs one more pass).")
    var shifts = 0

    @Option(help: ArgumentHelp("Segment length in seconds (at most the model's).", valueName: "seconds"))
    var segment: Double?

    @Option(help: ArgumentHelp("Seed for the shifts' random offsets.", valueName: "n"))
    var seed: UInt64 = 0

    @Flag(help: "Neither read nor write the stem cache.")
    var noCache = false

    func validate() throws {
        if let overlap, !(0..<1).contains(overlap) { throw ValidationError("--overlap must be at least 0 and below 1") }
        guard shifts >= 0 else { throw ValidationError("--shifts must not be negative") }
        if let segment, segment <= 0 { throw ValidationError("--segment must be positive") }
    }

    /// The chosen model; what the options leave open comes from `config`. With
    /// `demoFallback`, a model the command line did not name that is not installed
    /// gives way to the bundled demo model, and `LoadedModel.notice` says so.
    func load(config: Config, demoFallback: Bool = false) throws(Failure) -> LoadedModel {
        let request = ModelRequest(
            name: name, weightsPath: weights, overlap: overlap ?? config.overlap, shifts: shifts,
            segmentSeconds: segment, seed: seed, useCache: !noCache)
        return try request.load(defaultName: config.model, demoFallback: demoFallback)
    }
}
