import Demucs
import Foundation

/// Separating whole tracks as jobs: what `separate` and `mix` wait for and what the
/// player fills its stem store from.
public enum Separation {
    /// Separates `track` with `model` on the calling thread (inside a job's work), as
    /// `demucs` does on the command line: the mix is normalised, separated and scaled
    /// back. Each finished span goes to `onSpan` as `(first frame, [stem][channel][frame])`
    /// in order; progress goes to `context`. Stops with `JobCancelled` when cancelled.
    /// `compute` sets the engine's threads. Returns how many samples the model produced
    /// that were not finite (NaN or infinity); they reach `onSpan` as zeros.
    @discardableResult
    public static func run(
        _ track: Track, with model: LoadedModel, context: JobContext, compute: ComputeContext = ComputeContext(),
        onSpan: (_ start: Int, _ stems: [[[Float]]]) -> Void
    ) throws -> Int {
        let (normalised, normalisation) = track.normalisedMix()
        var nonFinite = 0
        do {
            try model.separator.run(
                mix: normalised,
                context: compute,
                isCancelled: { context.isCancelled },
                onProgress: { context.report(progress: $0.fraction) },
                onSpan: {
                    nonFinite += $0.nonFiniteSamples
                    onSpan($0.start, normalisation.undo($0))
                })
        } catch is SeparationCancelled {
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

    /// Starts a job that yields the stems of `track`: from the cache when an earlier run
    /// stored them, otherwise separated and then cached. `warn` receives what the user
    /// should know but that does not stop the job (a damaged cache entry, a failed
    /// cache write).
    public static func stems(
        of track: Track, with model: LoadedModel, in jobs: JobGroup, warn: @escaping @Sendable (String) -> Void
    ) -> Job<(stems: Stems, fromCache: Bool)> {
        jobs.start("separating \(track.fileName)") { context in
            let key = model.cacheKey(for: track)
            if let cached = model.cachedStems(key, warn: warn) { return (cached, true) }
            var samples = [[[Float]]](
                repeating: [[Float]](repeating: [Float](repeating: 0, count: track.frameCount), count: track.channelCount),
                count: model.sources.count)
            let nonFinite = try run(track, with: model, context: context) { start, stems in
                for (s, stem) in stems.enumerated() {
                    for (c, channel) in stem.enumerated() {
                        samples[s][c].replaceSubrange(start..<(start + channel.count), with: channel)
                    }
                }
            }
            if nonFinite > 0 {
                throw Failure(message: nonFiniteMessage(nonFinite, in: track), status: ExitStatus.separationFailure)
            }
            let stems = Stems(names: model.sources, samples: samples)
            try context.checkCancelled()
            if let problem = model.cache(stems, of: track, key: key) { warn(problem) }
            return (stems, false)
        }
    }
}
