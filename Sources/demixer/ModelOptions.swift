import ArgumentParser
import Demucs
import Foundation
import ModelStore
import StemCache

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

    /// The chosen model with its separator and the identity its cached stems go under;
    /// what the options leave open comes from `config`. With `demoFallback`, a model
    /// the command line did not name that is not installed gives way to the bundled
    /// demo model, and `LoadedModel.notice` says so.
    func load(config: Config, demoFallback: Bool = false) throws -> LoadedModel {
        var modelName = name ?? config.model
        if let weights, !FileManager.default.fileExists(atPath: weights) {
            throw Failure(message: "\(weights): no such model file", status: ExitStatus.missingWeights)
        }
        let resolved: ModelStore.ResolvedModel
        var notice: String?
        do {
            let store = try ModelStore.standard()
            do {
                resolved = try store.resolve(name: modelName, weightsPath: weights)
            } catch .notInstalled where demoFallback && name == nil && weights == nil {
                notice = "\(modelName) is not installed: demo model in use (synthetic songs only); "
                    + "get it with `demixer weights fetch \(modelName)`"
                modelName = ModelStore.demoModel
                resolved = try store.resolve(name: modelName, weightsPath: nil)
            }
        } catch {
            throw Failure(message: "\(error)", status: ExitStatus.missingWeights)
        }
        var options = SeparationOptions()
        options.overlap = overlap ?? config.overlap
        options.shifts = shifts
        options.segmentSeconds = segment
        options.seed = seed
        let separator: Separator
        do {
            separator = try Separator(bag: resolved.bag, options: options)
        } catch {
            throw Failure(message: "\(error)", status: ExitStatus.usage)
        }
        let settings = "segment=\(segment.map { "\($0)" } ?? "model") seed=\(shifts > 0 ? seed : 0)"
        return LoadedModel(
            separator: separator, displayName: displayName(default: modelName), identity: "\(resolved.identity) \(settings)",
            cache: noCache ? nil : StemCache(directory: Locations().stemsDirectory), notice: notice)
    }

    /// A short name for messages and output folders.
    private func displayName(default name: String) -> String {
        weights.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent } ?? name
    }
}

/// A model ready to separate, and where its results are cached.
struct LoadedModel {
    let separator: Separator
    let displayName: String
    /// Names the weights and the settings that change the output, for the cache key.
    let identity: String
    let cache: StemCache?
    /// Something the user should know about the choice of model, such as the demo fallback.
    var notice: String?

    /// The cache key of `track` (a hash of all its audio), or nil with `--no-cache`;
    /// computed once per track and handed to the lookup and the store.
    func cacheKey(for track: Track) -> CacheKey? {
        guard cache != nil else { return nil }
        let frames = track.mix.shape[1]
        let channels = (0..<track.mix.shape[0]).map { Array(track.mix.values[($0 * frames)..<(($0 + 1) * frames)]) }
        return CacheKey(
            audio: channels, sampleRate: separator.bag.sampleRate, model: identity,
            overlap: separator.options.overlap, shifts: separator.options.shifts)
    }

    /// Stems cached under `key` by an earlier run, if any; a damaged entry is reported
    /// and treated as absent (it is recomputed).
    func cachedStems(_ key: CacheKey?) -> Stems? {
        guard let cache, let key else { return nil }
        switch cache.load(key) {
        case .hit(let cached): return Stems(names: cached.sources, samples: cached.stems)
        case .miss: return nil
        case .discarded(let reason):
            printError("demixer: warning: \(reason); separating again")
            return nil
        }
    }

    /// Saves `stems` of `track` under `key`; a failure only costs the next run time, so it warns.
    func cache(_ stems: Stems, of track: Track, key: CacheKey?) {
        guard let cache, let key else { return }
        do {
            let entry = try CachedStems(
                sources: stems.names, sampleRate: separator.bag.sampleRate, trackName: track.name, stems: stems.samples)
            try cache.store(entry, for: key)
        } catch {
            printError("demixer: warning: could not cache the stems: \(error)")
        }
    }

    /// The stems of `track`: from the cache, or separated (with progress) and cached.
    func stems(for track: Track) throws -> Stems {
        let key = cacheKey(for: track)
        if let cached = cachedStems(key) {
            printError("\(track.name): stems from the cache")
            return cached
        }
        let stems = try separateTrack(track, with: separator, progress: ProgressReporter(label: track.name))
        cache(stems, of: track, key: key)
        return stems
    }
}
