import Demucs
import Foundation
import MappedStorage
import Playback
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
    /// The most bytes the stem cache may hold before its least recently used entries go.
    public var cacheMaxSize: Int

    public init(
        name: String? = nil, weightsPath: String? = nil, overlap: Double = 0.25, shifts: Int = 0,
        segmentSeconds: Double? = nil, seed: UInt64 = 0, useCache: Bool = true,
        cacheMaxSize: Int = StemCache.defaultMaxSize
    ) {
        self.name = name
        self.weightsPath = weightsPath
        self.overlap = overlap
        self.shifts = shifts
        self.segmentSeconds = segmentSeconds
        self.seed = seed
        self.useCache = useCache
        self.cacheMaxSize = cacheMaxSize
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
            cache: useCache ? StemCache(directory: locations.stemsDirectory, maxSize: cacheMaxSize) : nil, notice: notice)
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

    /// The cache key of `track` (a hash of all its audio), or nil without a cache.
    public func cacheKey(for track: Track) -> CacheKey? {
        guard cache != nil else { return nil }
        return CacheKey(
            audio: (0..<track.channelCount).map(track.mix.channel), sampleRate: sampleRate, model: identity,
            overlap: separator.options.overlap, shifts: separator.options.shifts)
    }

    /// A store for the stems of `track` and where they will come from: a complete cache
    /// entry; else a separation into the cache's partial entry, with whatever an
    /// interrupted run finished already in the store; else (no cache, or another process
    /// separating the same song) a separation into an unnamed temporary file. A damaged
    /// entry is treated as absent and `warn` is told why; a partial entry that cannot be
    /// opened costs only the resume, and `warn` is told.
    public func prepareStems(for track: Track, warn: (String) -> Void) throws(Failure) -> PreparedStems {
        let grid = separator.tileGrid(frameCount: track.frameCount)
        func store(_ storage: MappedFloats?) throws(Failure) -> StemStore {
            do {
                return try StemStore(
                    stems: sources.count, channels: track.channelCount, frames: track.frameCount, sampleRate: sampleRate,
                    tileFrames: grid.tileFrames, storage: storage)
            } catch {
                throw Failure(message: "\(track.name): no room for its stems: \(error)", status: ExitStatus.writeFailure)
            }
        }
        guard let cache, let key = cacheKey(for: track) else {
            return PreparedStems(store: try store(nil), origin: .separation(nil), resumedFrames: 0)
        }
        switch cache.load(key) {
        case .hit(let entry)
        where entry.sampleRate == sampleRate && entry.sources == sources && entry.frameCount == track.frameCount
            && entry.channelCount == track.channelCount:
            return PreparedStems(store: try store(nil), origin: .cache(entry), resumedFrames: 0)
        case .hit, .miss: break
        case .discarded(let reason): warn("\(reason); separating again")
        }
        let partial: PartialEntry?
        do {
            partial = try cache.openPartial(
                for: key, sources: sources, sampleRate: sampleRate, channelCount: track.channelCount,
                frameCount: track.frameCount, tileFrames: grid.tileFrames, trackName: track.name)
        } catch {
            warn("could not keep the separation's progress in the cache: \(error)")
            partial = nil
        }
        guard let partial else {
            return PreparedStems(store: try store(nil), origin: .separation(nil), resumedFrames: 0)
        }
        let mapping: MappedFloats
        do {
            mapping = try MappedFloats(
                fileDescriptor: partial.fileDescriptor, offset: partial.bodyOffset,
                count: sources.count * track.channelCount * track.frameCount)
        } catch {
            throw Failure(message: "\(partial.path): \(error)", status: ExitStatus.writeFailure)
        }
        let stems = try store(mapping)
        var resumed = 0
        for (tile, done) in partial.doneTiles.enumerated() where done {
            stems.markSeparated(tile: tile)
            resumed += grid.range(of: tile).count
        }
        return PreparedStems(store: stems, origin: .separation(partial), resumedFrames: resumed)
    }

    /// Turns a finished separation's partial entry into a compact cache entry. A failure
    /// only costs the next run time, so it is returned as a warning rather than thrown.
    public func finishCaching(_ partial: PartialEntry?) -> String? {
        guard let partial else { return nil }
        do {
            try partial.finish()
            return nil
        } catch {
            return "could not cache the stems: \(error)"
        }
    }
}
