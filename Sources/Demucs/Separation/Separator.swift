import Foundation

/// How a whole track is cut into segments and recombined: the options of demucs's
/// `apply_model`.
public struct SeparationOptions: Sendable, Equatable {
    /// Fraction of each segment shared with the next one.
    public var overlap = 0.25
    /// Number of randomly shifted passes averaged together (0: one unshifted pass).
    public var shifts = 0
    /// Exponent applied to the triangular cross-fade weights.
    public var transitionPower = 1.0
    /// Segment length in seconds; `nil` uses the models' training segment (it may not exceed it).
    public var segmentSeconds: Double? = nil
    /// Seed for the random shift offsets, so that a run can be repeated exactly.
    public var seed: UInt64 = 0
    /// Explicit shift offsets in samples (each in 0...sampleRate/2), one per model and
    /// shift in order; overrides `seed` (used to reproduce a reference run).
    public var shiftOffsets: [Int]? = nil

    public init() {}
}

/// A finished stretch of the separated stems (one tile), never revised.
public struct StemSpan: Sendable {
    /// First frame of the span in the track.
    public let start: Int
    /// Frames in the span.
    public let frameCount: Int
    /// One `[channels, frameCount]` buffer per source, in the model's source order.
    public let stems: [Tensor]
    /// NaN or infinite samples the model produced in this span, replaced by zero in
    /// `stems`: a broken model's output is silence, never a value that traps or clips.
    public let nonFiniteSamples: Int
}

/// Separation progress, reported after each tile.
public struct SeparationProgress: Sendable {
    /// The tile just finished.
    public let tile: Int
    /// Tiles this run has finished.
    public let tilesDone: Int
    /// Tiles in the whole track.
    public let tileCount: Int
    /// Model evaluations (segments of one pass) this run has computed: each chunk once in
    /// an in-order run, plus those a jump to a distant tile computes again.
    public let segmentsDone: Int
    /// `tilesDone / tileCount`: the share of the track this run has separated, 1 at the
    /// end of a run over every tile; a run that resumes after another ends below 1.
    public var fraction: Double { tileCount == 0 ? 1 : Double(tilesDone) / Double(tileCount) }
}

/// Thrown by a separation that was cancelled.
public struct SeparationCancelled: Error, CustomStringConvertible {
    public var description: String { "separation cancelled" }
}

/// Separates a track tile by tile with `apply_model`'s exact semantics (overlap,
/// triangular weights, centred padding of the last segment, shifts, bag weighting).
/// Tiles may be computed in any order, each bit-identical to the in-order run, so that
/// playback can seek and an interrupted separation can resume.
public struct Separator: Sendable {
    public let bag: ModelBag
    public let options: SeparationOptions

    /// Bounds on the options. A segment shorter than the model's training segment is
    /// padded inside the model, so below a second the padding is mostly wasted work.
    public enum Limits {
        /// `overlap`: demucs uses 0.25; beyond 0.9 a track costs ten times the segments.
        public static let overlap = 0.0...0.9
        /// `shifts`: each shift is a whole extra pass (demucs suggests a handful).
        public static let shifts = 0...20
        /// `transitionPower`: higher powers underflow the cross-fade's edge weights in Float.
        public static let transitionPower = 1.0...4.0
        /// The shortest `segmentSeconds`, unless the model's training segment is shorter.
        public static let shortestSegmentSeconds = 1.0
    }

    /// A separator of `bag` with `options`; throws `DemucsError.invalidConfiguration`,
    /// naming the valid range, when an option is outside `Limits` or the segment is not
    /// between a second (or the training segment, if shorter) and the models' training segment.
    public init(bag: ModelBag, options: SeparationOptions = SeparationOptions()) throws {
        if let seconds = options.segmentSeconds {
            let longest = Double(bag.segmentLength) / Double(bag.sampleRate)
            let valid = min(Limits.shortestSegmentSeconds, longest)...longest
            guard valid.contains(seconds) else {
                throw DemucsError.invalidConfiguration(
                    key: "segment", reason: "\(seconds) s is outside \(valid.lowerBound)...\(longest) s for this model")
            }
        }
        guard Limits.overlap.contains(options.overlap) else {
            throw DemucsError.invalidConfiguration(key: "overlap", reason: "\(options.overlap) is outside \(Limits.overlap)")
        }
        guard Limits.transitionPower.contains(options.transitionPower) else {
            throw DemucsError.invalidConfiguration(
                key: "transition_power", reason: "\(options.transitionPower) is outside \(Limits.transitionPower)")
        }
        guard Limits.shifts.contains(options.shifts) else {
            throw DemucsError.invalidConfiguration(key: "shifts", reason: "\(options.shifts) is outside \(Limits.shifts)")
        }
        if let offsets = options.shiftOffsets {
            let maxShift = bag.sampleRate / 2
            guard offsets.count == bag.models.count * options.shifts, offsets.allSatisfy({ (0...maxShift).contains($0) })
            else {
                throw DemucsError.invalidConfiguration(
                    key: "shift_offsets", reason: "expected \(bag.models.count * options.shifts) offsets in 0...\(maxShift)")
            }
        }
        self.bag = bag
        self.options = options
    }

    /// Samples per segment for model `index` of the bag: its training segment unless overridden.
    func segmentLength(model index: Int) -> Int {
        options.segmentSeconds.map { Int(Double(bag.sampleRate) * $0) } ?? bag.models[index].config.segmentLength
    }

    /// Frames between the starts of model `index`'s segments (at least 1).
    func segmentStride(model index: Int) -> Int {
        max(1, Int((1 - options.overlap) * Double(segmentLength(model: index))))
    }

    /// The tiles of a track of `frameCount` frames: as long as the overlap of model 0's
    /// segments (at least an eighth of its stride, at most the stride). When the stride is
    /// a whole number of overlaps (the default overlap and a segment of a multiple of 4
    /// frames, as every official model's), tiles fall on segment edges, and two of
    /// every three lie in the part of a segment no other segment covers: a seek there
    /// waits for that one segment only.
    public func tileGrid(frameCount: Int) -> TileGrid {
        let stride = segmentStride(model: 0)
        let overlapFrames = segmentLength(model: 0) - stride
        let tile = (1...stride).contains(overlapFrames) ? max(overlapFrames, stride / 8) : stride
        return TileGrid(frameCount: frameCount, tileFrames: tile)
    }

    /// Separates all of `mix` on the calling thread, tile after tile: `onSpan` receives
    /// the spans in order, `onProgress` follows each. Throws `SeparationCancelled` when
    /// `isCancelled` turns true between layers. `context` sets the threads and collects
    /// the counts and stage times.
    public func run(
        mix: some MixSource,
        context: ComputeContext = ComputeContext(),
        isCancelled: () -> Bool = { false },
        onProgress: (SeparationProgress) -> Void = { _ in },
        onSpan: (StemSpan) -> Void
    ) throws {
        let tileCount = tileGrid(frameCount: mix.frameCount).tileCount
        var next = 0
        try run(
            mix: mix, context: context, isCancelled: isCancelled,
            wantedTile: { next < tileCount ? next : nil },
            onProgress: onProgress,
            onSpan: { span in
                onSpan(span)
                next += 1
            })
    }

    /// Separates the tiles of `mix` (see `tileGrid(frameCount:)`) that `wantedTile` names,
    /// on the calling thread, until it names none. `wantedTile` is the caller's wish at
    /// the moment: asked before each tile and again between the layers of each segment,
    /// it names the same tile until that tile's span arrives, unless the caller wants
    /// another one first (the listener seeked). Then the segment being computed is given
    /// up unless the new tile needs it too, and the separator moves to the new tile; the
    /// old one comes when it is named again. Each tile's stems go to `onSpan` as one
    /// span, bit-identical to the same frames of an in-order run whatever the order;
    /// `onProgress` follows each. A tile must not be named again once delivered.
    /// Segments that neighbouring tiles share are kept, so a run in order (or in reverse)
    /// computes each segment once and a jump costs only the segments of the new tile.
    /// Throws `SeparationCancelled` when `isCancelled` turns true (checked between layers).
    public func run(
        mix: some MixSource,
        context: ComputeContext = ComputeContext(),
        isCancelled: () -> Bool = { false },
        wantedTile: () -> Int?,
        onProgress: (SeparationProgress) -> Void = { _ in },
        onSpan: (StemSpan) -> Void
    ) throws {
        guard mix.channelCount == bag.audioChannels else {
            throw DemucsError.wrongChannelCount(expected: bag.audioChannels, got: mix.channelCount)
        }
        let grid = tileGrid(frameCount: mix.frameCount)
        var passes = makePasses(length: grid.frameCount)
        let layout = passes  // the passes' geometry, for the checkpoint while `passes` is busy
        var tilesDone = 0
        var segments = 0
        var wanted = wantedTile()
        while let tile = wanted {
            if isCancelled() { throw SeparationCancelled() }
            do {
                let span = try separate(
                    tile: tile, of: grid, mix: mix, passes: &passes, context: context, segments: &segments,
                    checkpoint: { pass, chunk in
                        if isCancelled() { throw SeparationCancelled() }
                        guard let other = wantedTile(), other != tile else { return }
                        let frames = grid.range(of: other)
                        let delay = layout[pass].delay
                        if !layout[pass].chunks(overlapping: (frames.lowerBound + delay)..<(frames.upperBound + delay))
                            .contains(chunk)
                        {
                            throw Redirected(tile: other)
                        }
                    })
                onSpan(span)
                tilesDone += 1
                onProgress(
                    SeparationProgress(tile: tile, tilesDone: tilesDone, tileCount: grid.tileCount, segmentsDone: segments))
                wanted = wantedTile()
            } catch let redirect as Redirected {
                wanted = redirect.tile
            }
        }
    }

    /// The caller now wants `tile` first, and the segment in flight is no use to it.
    private struct Redirected: Error {
        let tile: Int
    }

    /// One tile's span: every pass's chunks over it, computed or kept, overlap-added and
    /// weighted pass by pass from zero. `checkpoint(pass, chunk)` runs between the layers
    /// of each chunk computed; what it throws leaves this tile unfinished, with the
    /// chunks already computed kept for the tiles around it.
    private func separate(
        tile: Int, of grid: TileGrid, mix: some MixSource, passes: inout [Pass], context: ComputeContext,
        segments: inout Int, checkpoint: (_ pass: Int, _ chunk: Int) throws -> Void
    ) throws -> StemSpan {
        let channels = mix.channelCount
        let sources = bag.sources.count
        let frames = grid.range(of: tile)
        let n = frames.count
        let before = grid.range(of: max(tile - 1, 0))
        let after = grid.range(of: min(tile + 1, grid.tileCount - 1))
        var stems = [[Float]](repeating: [Float](repeating: 0, count: channels * n), count: sources)
        for p in passes.indices {
            let delay = passes[p].delay
            let virtualFrames = (frames.lowerBound + delay)..<(frames.upperBound + delay)
            let neighbourhood = (before.lowerBound + delay)..<(after.upperBound + delay)
            var chunks: [(index: Int, output: Tensor)] = []
            for index in passes[p].chunks(overlapping: virtualFrames) {
                if let kept = passes[p].kept[index] {
                    chunks.append((index, kept))
                    continue
                }
                let model = bag.models[passes[p].model]
                do {
                    let output = try passes[p].separateChunk(
                        index, mix: mix, model: model, context: context, checkpoint: { try checkpoint(p, index) })
                    chunks.append((index, output))
                } catch {
                    passes[p].keep(chunks, overlapping: neighbourhood)
                    throw error
                }
                segments += 1
            }
            context.timed("overlap-add") {
                let estimate = passes[p].overlapAdd(chunks, over: virtualFrames)
                // Bag weighting and shift averaging, pass by pass from zero.
                for s in 0..<sources {
                    let factor = passes[p].factors[s]
                    stems[s].withUnsafeMutableBufferPointer { out in
                        estimate.withUnsafeBufferPointer { rows in
                            let pass = rows.baseAddress! + s * channels * n
                            for i in 0..<(channels * n) { out[i] += factor * pass[i] }
                        }
                    }
                }
            }
            passes[p].keep(chunks, overlapping: neighbourhood)
        }
        var nonFinite = 0
        let tensors = stems.map { values in
            var values = values
            nonFinite += zeroNonFinite(&values)
            return Tensor(shape: [channels, n], values: values)
        }
        return StemSpan(start: frames.lowerBound, frameCount: n, stems: tensors, nonFiniteSamples: nonFinite)
    }

    private func makePasses(length: Int) -> [Pass] {
        let maxShift = bag.sampleRate / 2
        var random = SplitMix64(seed: options.seed)
        var explicit = options.shiftOffsets?.makeIterator()
        let totals = bag.sources.indices.map { k in bag.weights.reduce(0) { $0 + $1[k] } }
        var passes: [Pass] = []
        for m in bag.models.indices {
            let segment = segmentLength(model: m)
            let weight = transitionWeights(segment: segment, power: options.transitionPower)
            let shiftCount = max(options.shifts, 1)
            let factors = bag.sources.indices.map { k in bag.weights[m][k] / Float(shiftCount) / totals[k] }
            for _ in 0..<shiftCount {
                let delay =
                    options.shifts == 0 ? 0 : maxShift - (explicit?.next() ?? Int(random.next() % UInt64(maxShift + 1)))
                passes.append(
                    Pass(
                        model: m, delay: delay, virtualLength: length + delay, segment: segment,
                        stride: segmentStride(model: m), weight: weight, factors: factors))
            }
        }
        return passes
    }
}

/// `apply_model`'s cross-fade: a triangle peaking mid-segment, normalised, raised to `power`.
func transitionWeights(segment: Int, power: Double) -> [Float] {
    let rising = (1...(segment / 2)).map { Float($0) }
    let falling = stride(from: segment - segment / 2, to: 0, by: -1).map { Float($0) }
    let triangle = rising + falling
    let peak = triangle.max()!
    return triangle.map { Float(pow(Double($0 / peak), power)) }
}

/// One split pass of one model over the track delayed by `delay` samples (a shift), in
/// virtual frames (track frame + `delay`): chunk `i` starts at `i * stride` and is a
/// segment long, the last ones shorter.
struct Pass {
    let model: Int
    let delay: Int
    let virtualLength: Int
    let segment: Int
    let stride: Int
    let weight: [Float]
    /// Per source, this pass's share of the combined stems: bag weight / shifts / total weight.
    let factors: [Float]
    /// Chunk outputs `[sources, channels, chunk length]` by chunk index, kept for the
    /// tiles next to the last one.
    var kept: [Int: Tensor] = [:]

    var chunkCount: Int { (virtualLength + stride - 1) / stride }

    /// The indices of the chunks that cover any of the virtual frames `frames`, in order.
    func chunks(overlapping frames: Range<Int>) -> Range<Int> {
        let first = frames.lowerBound < segment ? 0 : (frames.lowerBound - segment) / stride + 1
        let last = min(chunkCount - 1, (frames.upperBound - 1) / stride)
        return first..<max(first, last + 1)
    }

    /// Runs the model on chunk `index`: the segment-long window centred on the chunk
    /// (real audio around it where there is some, zeros beyond the track), trimmed back.
    func separateChunk(
        _ index: Int, mix: some MixSource, model: HTDemucs, context: ComputeContext, checkpoint: () throws -> Void
    ) throws -> Tensor {
        let offset = index * stride
        let chunkLength = min(segment, virtualLength - offset)
        let delta = segment - chunkLength
        let channels = mix.channelCount
        let window = [Float](unsafeUninitializedCapacity: channels * segment) { buffer, count in
            mix.copyWindow(start: offset - delta / 2 - delay, count: segment, into: buffer)
            count = channels * segment
        }
        let out = try model.separate(
            segment: Tensor(shape: [channels, segment], values: window), context: context, checkpoint: checkpoint)
        let rows = out.shape[0] * out.shape[1]
        var trimmed = [Float](repeating: 0, count: rows * chunkLength)
        for r in 0..<rows {
            for i in 0..<chunkLength { trimmed[r * chunkLength + i] = out.values[r * segment + delta / 2 + i] }
        }
        return Tensor(shape: [out.shape[0], out.shape[1], chunkLength], values: trimmed)
    }

    /// This pass's estimate of the virtual frames `frames`, `[sources·channels, frames.count]`,
    /// from `chunks`, every chunk covering them in index order: per frame, the chunks'
    /// weighted values added in chunk order from zero, divided by their weights added
    /// alike, the arithmetic of an overlap-add over the whole track in order.
    func overlapAdd(_ chunks: [(index: Int, output: Tensor)], over frames: Range<Int>) -> [Float] {
        let n = frames.count
        let rows = chunks[0].output.shape[0] * chunks[0].output.shape[1]
        var sums = [Float](repeating: 0, count: rows * n)
        var weightSums = [Float](repeating: 0, count: n)
        sums.withUnsafeMutableBufferPointer { sums in
            weightSums.withUnsafeMutableBufferPointer { weightSums in
                weight.withUnsafeBufferPointer { weight in
                    for (index, output) in chunks {
                        let offset = index * stride
                        let length = output.shape[2]
                        // Chunk-local frames `lo..<hi` fall on tile frames `lo + shift`.
                        let lo = max(frames.lowerBound - offset, 0)
                        let hi = min(frames.upperBound - offset, length)
                        let shift = offset - frames.lowerBound
                        output.values.withUnsafeBufferPointer { values in
                            for r in 0..<rows {
                                for i in lo..<hi { sums[r * n + shift + i] += weight[i] * values[r * length + i] }
                            }
                        }
                        for i in lo..<hi { weightSums[shift + i] += weight[i] }
                    }
                    for r in 0..<rows {
                        for t in 0..<n { sums[r * n + t] = sums[r * n + t] / weightSums[t] }
                    }
                }
            }
        }
        return sums
    }

    /// Adds `chunks` to those kept, then keeps only the chunks covering any of the
    /// virtual frames `frames` (the neighbours of the last tile).
    mutating func keep(_ chunks: [(index: Int, output: Tensor)], overlapping frames: Range<Int>) {
        for (index, output) in chunks { kept[index] = output }
        let wanted = self.chunks(overlapping: frames)
        kept = kept.filter { wanted.contains($0.key) }
    }
}

/// Replaces every NaN and infinity in `values` by zero; returns how many there were.
func zeroNonFinite(_ values: inout [Float]) -> Int {
    var count = 0
    values.withUnsafeMutableBufferPointer { v in
        for i in v.indices where !v[i].isFinite {
            v[i] = 0
            count += 1
        }
    }
    return count
}
