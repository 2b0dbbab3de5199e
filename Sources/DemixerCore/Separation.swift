import Demucs
import Foundation
import Playback
import StemCache

/// A track's stems on their way into a `StemStore`: where the store's samples live and
/// where the missing ones come from.
public struct PreparedStems: Sendable {
    /// Where the missing tiles of a `StemStore` come from.
    public enum Origin: Sendable {
        /// A complete cache entry, decoded tile by tile.
        case cache(EntryReader)
        /// The model; with a cache, the store is the partial entry's body, so every tile
        /// finished is kept on disk for a later run to resume from.
        case separation(PartialEntry?)
        /// Nothing: the store was filled when it was made (an NI Stems file's stems).
        case given
    }

    public let store: StemStore
    public let origin: Origin
    /// Frames an earlier, interrupted run separated (already in `store`).
    public let resumedFrames: Int

    /// A store filled at once with `stems` (an NI Stems file's) for `track`.
    public static func given(_ stems: Stems, of track: Track) throws(Failure) -> PreparedStems {
        let store: StemStore
        do {
            store = try StemStore(
                stems: stems.names.count, channels: track.channelCount, frames: track.frameCount,
                sampleRate: track.sampleRate)
        } catch {
            throw Failure(message: "\(track.name): no room for its stems: \(error)", status: ExitStatus.writeFailure)
        }
        store.append(start: 0, frames: store.frameCount, stems: stems.samples)
        return PreparedStems(store: store, origin: .given, resumedFrames: 0)
    }

    /// Whether the stems come from a complete cache entry.
    public var isFromCache: Bool {
        if case .cache = origin { return true }
        return false
    }

    /// What the user is told about a resumed separation, if this is one.
    public func resumeNotice(for track: Track) -> String? {
        guard resumedFrames > 0, !store.isComplete else { return nil }
        return "\(track.name): resuming, \(clock(resumedFrames, track)) of \(clock(track.frameCount, track)) "
            + "already separated"
    }

    private func clock(_ frames: Int, _ track: Track) -> String {
        let seconds = frames / track.sampleRate
        return String(format: "%d:%02d", seconds / 60, seconds % 60)
    }
}

/// Separating tracks as jobs: what `separate` and `mix` wait for and what the player
/// fills its stem store from.
public enum Separation {
    /// Fills the tiles `prepared.store` lacks, on the calling thread (inside a job's work):
    /// from the cache entry, or separated as `demucs` does on the command line (the mix
    /// normalised on the fly, separated, scaled back). Before each tile, `focus` gives the
    /// frame the listener needs next (the playhead after a seek, a loop's start): the
    /// first missing tile from there on comes next, then those skipped before it, so the
    /// whole track is still separated once. A tile is published in the store once its
    /// samples are there (and, with a partial cache entry, synced to disk).
    /// Stops with `JobCancelled` when cancelled; `compute` sets the engine's threads.
    /// Returns how many samples the model produced that were not finite (NaN or
    /// infinity); they are stored as zeros.
    @discardableResult
    public static func fill(
        _ prepared: PreparedStems, from track: Track, with model: LoadedModel, context: JobContext,
        compute: ComputeContext = ComputeContext(), focus: () -> Int = { 0 }, warn: (String) -> Void = { _ in }
    ) throws -> Int {
        let store = prepared.store
        let grid = TileGrid(frameCount: store.frameCount, tileFrames: store.tileFrames)
        let order = TileOrder(grid: grid, store: store)
        func progress() { context.report(progress: Double(store.separatedFrames) / Double(max(store.frameCount, 1))) }
        switch prepared.origin {
        case .given:
            return 0
        case .cache(let entry):
            do {
                while let tile = order.next(focus: focus()) {
                    try context.checkCancelled()
                    let frames = grid.range(of: tile)
                    try entry.decode(frames: frames, into: store.samples, planeStride: store.frameCount)
                    store.markSeparated(tile: tile)
                    progress()
                }
                return 0
            } catch let problem as StemCacheError {
                // A damaged block: the cache entry is dropped and the rest separated.
                warn("\(model.cache?.discard(entry, damagedBy: problem) ?? problem.description); separating the rest again")
                return try separate(
                    into: store, tiles: order, from: track, with: model, partial: nil, context: context,
                    compute: compute, focus: focus, progress: progress)
            }
        case .separation(let partial):
            return try separate(
                into: store, tiles: order, from: track, with: model, partial: partial, context: context,
                compute: compute, focus: focus, progress: progress)
        }
    }

    private static func separate(
        into store: StemStore, tiles order: TileOrder, from track: Track, with model: LoadedModel,
        partial: PartialEntry?, context: JobContext, compute: ComputeContext, focus: () -> Int,
        progress: () -> Void
    ) throws -> Int {
        let mix = track.normalisedMix()
        let grid = order.grid
        var nonFinite = 0
        var persistFailure: StemCacheError?
        do {
            try model.separator.run(
                mix: mix,
                context: compute,
                isCancelled: { context.isCancelled || persistFailure != nil },
                wantedTile: { order.next(focus: focus()) },
                onProgress: { _ in progress() },
                onSpan: { span in
                    nonFinite += span.nonFiniteSamples
                    store.write(start: span.start, stems: mix.normalisation.undo(span))
                    let tile = grid.tile(containing: span.start)
                    do throws(StemCacheError) {
                        try partial?.markDone(tile)
                    } catch {
                        persistFailure = error
                        return
                    }
                    store.markSeparated(tile: tile)
                })
        } catch is SeparationCancelled {
            if let persistFailure {
                throw Failure(message: "\(track.name): \(persistFailure)", status: ExitStatus.writeFailure)
            }
            throw JobCancelled()
        } catch {
            throw Failure(message: "\(track.name): separation failed: \(error)", status: ExitStatus.separationFailure)
        }
        return nonFinite
    }

    /// What the user is told when the model's output was not all finite.
    public static func nonFiniteMessage(_ count: Int, in track: Track) -> String {
        "\(track.name): the model produced \(count) non-finite samples (NaN or infinity); a broken model file?"
    }

    /// Starts a job that yields the complete stems of `track` in a store: from the cache
    /// when an earlier run stored them, otherwise separated (resuming what an interrupted
    /// run left) and then cached. `warn` receives what the user should know but that does
    /// not stop the job (a resumed run, a damaged cache entry, a failed cache write).
    public static func stems(
        of track: Track, with model: LoadedModel, in jobs: JobGroup, warn: @escaping @Sendable (String) -> Void
    ) -> Job<PreparedStems> {
        jobs.start("separating \(track.fileName)") { context in
            let prepared = try model.prepareStems(for: track, warn: warn)
            if let notice = prepared.resumeNotice(for: track) { warn(notice) }
            let nonFinite = try fill(prepared, from: track, with: model, context: context, warn: warn)
            guard case .separation(let partial) = prepared.origin else { return prepared }
            if nonFinite > 0 {
                partial?.discard()
                throw Failure(message: nonFiniteMessage(nonFinite, in: track), status: ExitStatus.separationFailure)
            }
            try context.checkCancelled()
            if let problem = model.finishCaching(partial) { warn(problem) }
            return prepared
        }
    }
}

/// The order tiles are filled in: the first missing one from the focus on, then the
/// ones before it. A query of the store: it names the same tile until that tile is
/// separated or the focus moves.
struct TileOrder {
    let grid: TileGrid
    let store: StemStore

    func next(focus: Int) -> Int? {
        guard grid.tileCount > 0 else { return nil }
        let from = grid.tile(containing: min(max(focus, 0), grid.frameCount - 1))
        func missing(_ tile: Int) -> Bool { !store.isSeparated(tile: tile) }
        return (from..<grid.tileCount).first(where: missing) ?? (0..<from).first(where: missing)
    }
}
