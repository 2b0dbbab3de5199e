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

/// A finished stretch of the separated stems, delivered in order and never revised.
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

/// Separation progress, reported after each segment.
public struct SeparationProgress: Sendable {
    public let segmentsDone: Int
    public let segmentsTotal: Int
    /// Frames of the track whose stems are final.
    public let framesFinished: Int
    public var fraction: Double { segmentsTotal == 0 ? 1 : Double(segmentsDone) / Double(segmentsTotal) }
}

/// Thrown by a separation that was cancelled.
public struct SeparationCancelled: Error, CustomStringConvertible {
    public var description: String { "separation cancelled" }
}

/// Separates a whole track segment by segment with `apply_model`'s exact semantics
/// (overlap, triangular weights, centred padding of the last segment, shifts, bag
/// weighting), handing out each span of stems as soon as no later segment can change it.
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

    /// Separates `mix` (`[channels, frames]`) on the calling thread, calling `onSpan` with
    /// each finished span in order and `onProgress` after each segment. Throws
    /// `SeparationCancelled` when `isCancelled` turns true between segments. `context`
    /// sets the threads and collects the counts and stage times.
    public func run(
        mix: Tensor,
        context: ComputeContext = ComputeContext(),
        isCancelled: () -> Bool = { false },
        onProgress: (SeparationProgress) -> Void = { _ in },
        onSpan: (StemSpan) -> Void
    ) throws {
        guard mix.shape.count == 2, mix.shape[0] == bag.audioChannels else {
            throw DemucsError.wrongChannelCount(expected: bag.audioChannels, got: mix.shape.first ?? 0)
        }
        let length = mix.shape[1]
        guard length > 0 else { return }
        var passes = makePasses(length: length)
        let total = passes.reduce(0) { $0 + $1.offsets.count }
        var combiner = Combiner(bag: bag, passes: passes, length: length, channels: bag.audioChannels)
        var done = 0
        var round = 0
        while passes.contains(where: { round < $0.offsets.count }) {
            for p in passes.indices where round < passes[p].offsets.count {
                if isCancelled() { throw SeparationCancelled() }
                let chunk = try passes[p].separateChunk(
                    round, mix: mix, model: bag.models[passes[p].model], context: context)
                context.timed("overlap-add") {
                    passes[p].accumulate(chunk, round: round)
                    combiner.receive(passes[p].finalize(round: round), pass: p)
                }
                done += 1
            }
            round += 1
            for span in context.timed("overlap-add", { combiner.emitReady() }) { onSpan(span) }
            onProgress(SeparationProgress(segmentsDone: done, segmentsTotal: total, framesFinished: combiner.emitted))
        }
    }

    private func makePasses(length: Int) -> [Pass] {
        let maxShift = bag.sampleRate / 2
        var random = SplitMix64(seed: options.seed)
        var explicit = options.shiftOffsets?.makeIterator()
        var passes: [Pass] = []
        for m in bag.models.indices {
            let segment = segmentLength(model: m)
            let stride = Int((1 - options.overlap) * Double(segment))
            let weight = transitionWeights(segment: segment, power: options.transitionPower)
            if options.shifts == 0 {
                passes.append(Pass(model: m, delay: 0, length: length, segment: segment, stride: stride, weight: weight, shiftCount: 1))
            } else {
                for _ in 0..<options.shifts {
                    let offset = explicit?.next() ?? Int(random.next() % UInt64(maxShift + 1))
                    passes.append(
                        Pass(
                            model: m, delay: maxShift - offset, length: length, segment: segment, stride: stride,
                            weight: weight, shiftCount: options.shifts))
                }
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

/// One split pass of one model over the track delayed by `delay` samples (a shift).
struct Pass {
    let model: Int
    let delay: Int
    let virtualLength: Int
    let segment: Int
    let offsets: [Int]
    let weight: [Float]
    let shiftCount: Int
    /// Weighted sums for virtual frames `[base, base + segment)`, `[sources·channels, segment]`.
    private var sums: [Float] = []
    private var weightSums: [Float]
    private var base = 0

    init(model: Int, delay: Int, length: Int, segment: Int, stride: Int, weight: [Float], shiftCount: Int) {
        self.model = model
        self.delay = delay
        self.virtualLength = length + delay
        self.segment = segment
        self.offsets = Array(Swift.stride(from: 0, to: length + delay, by: stride))
        self.weight = weight
        self.shiftCount = shiftCount
        self.weightSums = [Float](repeating: 0, count: segment)
    }

    /// Runs the model on chunk `index`: the segment-long window centred on the chunk
    /// (real audio around it where there is some, zeros beyond the track), trimmed back.
    func separateChunk(_ index: Int, mix: Tensor, model: HTDemucs, context: ComputeContext) throws -> Tensor {
        let offset = offsets[index]
        let chunkLength = min(segment, virtualLength - offset)
        let delta = segment - chunkLength
        let start = offset - delta / 2 - delay
        let window = windowOfMix(mix, start: start, count: segment)
        let out = try model.separate(segment: window, context: context)
        let rows = out.shape[0] * out.shape[1]
        var trimmed = [Float](repeating: 0, count: rows * chunkLength)
        for r in 0..<rows {
            for i in 0..<chunkLength { trimmed[r * chunkLength + i] = out.values[r * segment + delta / 2 + i] }
        }
        return Tensor(shape: [out.shape[0], out.shape[1], chunkLength], values: trimmed)
    }

    mutating func accumulate(_ chunk: Tensor, round: Int) {
        let rows = chunk.shape[0] * chunk.shape[1]
        let chunkLength = chunk.shape[2]
        if sums.isEmpty { sums = [Float](repeating: 0, count: rows * segment) }
        let shift = offsets[round] - base
        for r in 0..<rows {
            for i in 0..<chunkLength { sums[r * segment + shift + i] += weight[i] * chunk.values[r * chunkLength + i] }
        }
        for i in 0..<chunkLength { weightSums[shift + i] += weight[i] }
    }

    /// Divides out the weights of the frames no later chunk touches, drops them from the
    /// window and returns them as `(first virtual frame, [rows, n])`.
    mutating func finalize(round: Int) -> (start: Int, values: Tensor) {
        let end = round + 1 < offsets.count ? offsets[round + 1] : virtualLength
        let n = end - base
        let rows = sums.count / segment
        var out = [Float](repeating: 0, count: rows * n)
        for r in 0..<rows {
            for i in 0..<n { out[r * n + i] = sums[r * segment + i] / weightSums[i] }
        }
        // Slide the window so that it starts at `end`.
        let keep = segment - n
        for r in 0..<rows {
            for i in 0..<segment { sums[r * segment + i] = i < keep ? sums[r * segment + n + i] : 0 }
        }
        for i in 0..<segment { weightSums[i] = i < keep ? weightSums[n + i] : 0 }
        let start = base
        base = end
        return (start, Tensor(shape: [rows, n], values: out))
    }
}

/// The window `[start, start + count)` of `mix`, zero outside the track.
func windowOfMix(_ mix: Tensor, start: Int, count: Int) -> Tensor {
    let channels = mix.shape[0]
    let length = mix.shape[1]
    var out = [Float](repeating: 0, count: channels * count)
    let lo = max(start, 0)
    let hi = min(start + count, length)
    if lo < hi {
        for c in 0..<channels {
            for i in lo..<hi { out[c * count + i - start] = mix.values[c * length + i] }
        }
    }
    return Tensor(shape: [channels, count], values: out)
}

/// Gathers the passes' finished frames (in track coordinates) and releases the frames
/// every pass has finished, averaged over shifts and weighted over the bag.
struct Combiner {
    let sourceCount: Int
    let channels: Int
    let length: Int
    /// Per pass: `weights[model][source] / shifts / totalWeight[source]`.
    let factors: [[Float]]
    /// Per pass: how far its virtual track lags the real one.
    let delays: [Int]
    /// Per pass: finished frames not yet emitted, `[rows][frames]`, starting at `emitted`.
    var pending: [[[Float]]]
    var emitted = 0

    init(bag: ModelBag, passes: [Pass], length: Int, channels: Int) {
        sourceCount = bag.sources.count
        self.channels = channels
        self.length = length
        let totals = (0..<sourceCount).map { k in bag.weights.reduce(0) { $0 + $1[k] } }
        factors = passes.map { pass in
            (0..<bag.sources.count).map { k in bag.weights[pass.model][k] / Float(pass.shiftCount) / totals[k] }
        }
        delays = passes.map(\.delay)
        pending = passes.map { _ in [[Float]](repeating: [], count: bag.sources.count * channels) }
    }

    mutating func receive(_ finished: (start: Int, values: Tensor), pass: Int) {
        let n = finished.values.shape[1]
        // Spans arrive contiguous; convert to track coordinates and drop what falls
        // before the track or after it.
        let first = finished.start - delays[pass]
        let lo = max(first, 0)
        let hi = min(first + n, length)
        guard lo < hi else { return }
        for r in 0..<pending[pass].count {
            pending[pass][r].append(contentsOf: finished.values.values[(r * n + lo - first)..<(r * n + hi - first)])
        }
    }

    mutating func emitReady() -> [StemSpan] {
        let ready = pending.map { $0[0].count }.min() ?? 0
        guard ready > 0 else { return [] }
        var stems: [Tensor] = []
        var nonFinite = 0
        for s in 0..<sourceCount {
            var values = [Float](repeating: 0, count: channels * ready)
            for p in pending.indices {
                let f = factors[p][s]
                for c in 0..<channels {
                    let row = pending[p][s * channels + c]
                    for i in 0..<ready { values[c * ready + i] += f * row[i] }
                }
            }
            nonFinite += zeroNonFinite(&values)
            stems.append(Tensor(shape: [channels, ready], values: values))
        }
        for p in pending.indices {
            for r in pending[p].indices { pending[p][r].removeFirst(ready) }
        }
        let span = StemSpan(start: emitted, frameCount: ready, stems: stems, nonFiniteSamples: nonFinite)
        emitted += ready
        return [span]
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
