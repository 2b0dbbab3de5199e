import ArgumentParser
import Demucs
import Foundation

/// The model options shared by `separate`, `mix` and the player.
struct ModelOptions: ParsableArguments {
    @Option(name: [.customShort("n"), .long], help: "Pretrained model name.")
    var name = "htdemucs"

    @Option(help: ArgumentHelp("A model file (.th or .safetensors) to use instead of an installed model.", valueName: "path"))
    var weights: String?

    @Option(help: "Overlap between consecutive segments (0 ≤ overlap < 1).")
    var overlap = 0.25

    @Option(help: "Random shifts averaged for time equivariance (each costs one more pass).")
    var shifts = 0

    @Option(help: ArgumentHelp("Segment length in seconds (at most the model's).", valueName: "seconds"))
    var segment: Double?

    @Option(help: ArgumentHelp("Seed for the shifts' random offsets.", valueName: "n"))
    var seed: UInt64 = 0

    func validate() throws {
        guard (0..<1).contains(overlap) else { throw ValidationError("--overlap must be at least 0 and below 1") }
        guard shifts >= 0 else { throw ValidationError("--shifts must not be negative") }
        if let segment, segment <= 0 { throw ValidationError("--segment must be positive") }
    }

    /// The separator for the chosen model and options.
    func makeSeparator() throws -> Separator {
        let bag = try loadBag()
        var options = SeparationOptions()
        options.overlap = overlap
        options.shifts = shifts
        options.segmentSeconds = segment
        options.seed = seed
        do {
            return try Separator(bag: bag, options: options)
        } catch {
            throw Failure(message: "\(error)", status: ExitStatus.usage)
        }
    }

    /// A short name for messages and output folders.
    var displayName: String {
        weights.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent } ?? name
    }

    private func loadBag() throws -> ModelBag {
        guard let weights else {
            throw Failure(
                message: "no weights for model '\(name)': pass --weights PATH to a .th or .safetensors HT Demucs model",
                status: ExitStatus.missingWeights)
        }
        guard FileManager.default.fileExists(atPath: weights) else {
            throw Failure(message: "\(weights): no such model file", status: ExitStatus.missingWeights)
        }
        do {
            return ModelBag(try HTDemucs.load(contentsOf: URL(fileURLWithPath: weights)))
        } catch {
            throw Failure(message: "\(weights): \(error)", status: ExitStatus.missingWeights)
        }
    }
}
