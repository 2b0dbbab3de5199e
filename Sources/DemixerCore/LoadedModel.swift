import Demucs
import Foundation
import ModelStore
import StemCache

/// What the user asked for: a model by name or file, the separation options, and
/// whether to use the stem cache. Nil fields are left to the configuration's defaults.
public struct ModelRequest: Sendable {
    /// A pretrained model's name; nil for the default.
    public var name: String?
    /// A model file (`.th` or `.safetensors`) to use instead of an installed model.
    public var weightsPath: String?
    public var overlap: Double
    public var shifts: Int
    /// Segment length in seconds; nil for the model's own.
    public var segmentSeconds: Double?
    public var seed: UInt64
    public var useCache: Bool

    public init(
        name: String? = nil, weightsPath: String? = nil, overlap: Double = 0.25, shifts: Int = 0,
        segmentSeconds: Double? = nil, seed: UInt64 = 0, useCache: Bool = true
    ) {
        self.name = name
        self.weightsPath = weightsPath
        self.overlap = overlap
        self.shifts = shifts
        self.segmentSeconds = segmentSeconds
        self.seed = seed
        self.useCache = useCache
    }

    /// The chosen model with its separator and the identity its cached stems go under.
    /// `defaultName` is used when no name was given. With `demoFallback`, a default
    /// model that is not installed gives way to the bundled demo model, and
    /// `LoadedModel.notice` says so.
    public func load(defaultName: String, demoFallback: Bool = false) throws(Failure) -> LoadedModel {
        var modelName = name ?? defaultName
        if let weightsPath {
            // A FIFO or a device would block the reader or never end, and root is told
            // "permission denied" for them: refuse anything but a regular file by name.
            var info = stat()
            guard stat(weightsPath, &info) == 0 else {
                let reason = errno == ENOENT ? "no such model file" : String(cString: strerror(errno))
                throw Failure(message: "\(weightsPath): \(reason)", status: ExitStatus.missingWeights)
            }
            guard info.st_mode & S_IFMT == S_IFREG else {
                throw Failure(message: "\(weightsPath): not a regular file", status: ExitStatus.missingWeights)
            }
        }
        let resolved: ModelStore.ResolvedModel
        var notice: String?
        let locations = Locations()
        do {
            let store = try ModelStore.standard()
            do {
                resolved = try store.resolve(name: modelName, weightsPath: weightsPath)
            } catch .notInstalled where demoFallback && name == nil && weightsPath == nil {
                notice = "\(modelName) is not installed: demo model in use (synthetic songs only); "
                    + "get it with `demixer weights fetch \(modelName)`"
                modelName = ModelStore.demoModel
                resolved = try store.resolve(name: modelName, weightsPath: nil)
            }
        } catch {
            throw Failure(message: "\(error)", status: ExitStatus.missingWeights)
        }
        var options = SeparationOptions()
        options.overlap = overlap
        options.shifts = shifts
        options.segmentSeconds = segmentSeconds
        options.seed = seed
        let separator: Separator
        do {
            separator = try Separator(bag: resolved.bag, options: options)
        } catch {
            throw Failure(message: "\(error)", status: ExitStatus.usage)
        }
        let displayName = weightsPath.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent } ?? modelName
        let settings = "segment=\(segmentSeconds.map { "\($0)" } ?? "model") seed=\(shifts > 0 ? seed : 0)"
        return LoadedModel(
            separator: separator, displayName: displayName, identity: "\(resolved.identity) \(settings)",
            cache: useCache ? StemCache(directory: locations.stemsDirectory) : nil, notice: notice)
    }
}

/// A model ready to separate, and where its results are cached.
public struct LoadedModel: Sendable {
    public let separator: Separator
    /// A short name for messages and output folders.
    public let displayName: String
    /// Names the weights and the settings that change the output, for the cache key.
    public let identity: String
    public let cache: StemCache?
    /// Something the user should know about the choice of model, such as the demo fallback.
    public var notice: String?

    public init(separator: Separator, displayName: String, identity: String, cache: StemCache?, notice: String? = nil) {
        self.separator = separator
        self.displayName = displayName
        self.identity = identity
        self.cache = cache
        self.notice = notice
    }

    public var sources: [String] { separator.bag.sources }
    public var sampleRate: Int { separator.bag.sampleRate }

    /// The cache key of `track` (a hash of all its audio), or nil without a cache;
    /// computed once per track and handed to the lookup and the store.
    public func cacheKey(for track: Track) -> CacheKey? {
        guard cache != nil else { return nil }
        let frames = track.frameCount
        let channels = (0..<track.channelCount).map { Array(track.mix.values[($0 * frames)..<(($0 + 1) * frames)]) }
        return CacheKey(
            audio: channels, sampleRate: sampleRate, model: identity,
            overlap: separator.options.overlap, shifts: separator.options.shifts)
    }

    /// Stems cached under `key` by an earlier run, if any. A damaged entry is treated
    /// as absent (it is recomputed) and `warn` is told why.
    public func cachedStems(_ key: CacheKey?, warn: (String) -> Void) -> Stems? {
        guard let cache, let key else { return nil }
        switch cache.load(key) {
        case .hit(let cached) where cached.sampleRate == sampleRate:
            return Stems(names: cached.sources, samples: cached.stems)
        case .hit, .miss: return nil
        case .discarded(let reason):
            warn("\(reason); separating again")
            return nil
        }
    }

    /// Saves `stems` of `track` under `key`. A failure only costs the next run time,
    /// so it is returned as a warning rather than thrown.
    public func cache(_ stems: Stems, of track: Track, key: CacheKey?) -> String? {
        guard let cache, let key else { return nil }
        do {
            let entry = try CachedStems(
                sources: stems.names, sampleRate: sampleRate, trackName: track.name, stems: stems.samples)
            try cache.store(entry, for: key)
            return nil
        } catch {
            return "could not cache the stems: \(error)"
        }
    }
}
