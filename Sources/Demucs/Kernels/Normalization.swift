import CVectorMath
import Foundation

/// `nn.GroupNorm` over a tensor seen as `[channels, batch, inner]`: for each batch index
/// and channel group, statistics run over the group's channels and the inner extent.
///
/// `batch` > 1 covers demucs's habit of folding frequency rows into the batch before a
/// norm (the DConv branch on the spectral path) without transposing.
struct GroupNorm: Sendable {
    let groups: Int
    let weight: [Float]
    let bias: [Float]
    var epsilon: Float = 1e-5

    /// What follows the norm's affine in the same pass over memory.
    enum Activation { case none, gelu }

    /// Normalises `x` in place, then applies `activation`. Three passes over rows
    /// `(channel, batch index)` spread over the cores: row sums, sums of squares about the
    /// group mean (two passes, as the reference, for accuracy), then the affine.
    func apply(_ x: inout Tensor, batch: Int = 1, then activation: Activation = .none, context: ComputeContext) {
        precondition(x.count % (weight.count * batch) == 0, "group norm of \(weight.count) channels on \(x.shape)")
        let inner = x.count / (weight.count * batch)
        x.values.withUnsafeMutableBufferPointer { values in
            let v = SendablePointer(values.baseAddress!)
            let affines = rowAffines(v, inner: inner, batch: batch, context: context)
            context.parallelFor(affines.count, minimumChunk: Self.rowChunk(inner)) { range in
                for r in range {
                    let (scale, shift) = affines[r]
                    switch activation {
                    case .none: mapSIMD8(v.pointer + r * inner, count: inner) { $0 * scale + shift }
                    case .gelu: vector_affine_gelu(v.pointer + r * inner, inner, scale, shift)
                    }
                }
            }
        }
    }

    /// `x += scale[c] · glu(norm(y))` for `y` of twice `x`'s channels: DConv's tail (norm,
    /// GLU and LayerScaled residual) in one pass over `y`, with no normalised or gated
    /// activation in memory.
    func addGatedLinear(of y: Tensor, batch: Int = 1, scale: [Float], to x: inout Tensor, context: ComputeContext) {
        precondition(y.count == 2 * x.count && scale.count * 2 == weight.count, "gated norm of \(y.shape) into \(x.shape)")
        let inner = y.count / (weight.count * batch)
        let half = x.count / inner
        y.values.withUnsafeBufferPointer { values in
            x.values.withUnsafeMutableBufferPointer { target in
                let (v, t) = (SendablePointer(values.baseAddress!), SendablePointer(target.baseAddress!))
                let affines = rowAffines(v, inner: inner, batch: batch, context: context)
                context.parallelFor(half, minimumChunk: Self.rowChunk(inner)) { range in
                    for r in range {
                        let (value, gate) = (affines[r], affines[half + r])
                        vector_affine_glu_add(
                            v.pointer + r * inner, v.pointer + (half + r) * inner, inner, value.scale, value.shift,
                            gate.scale, gate.shift, scale[r / batch], t.pointer + r * inner)
                    }
                }
            }
        }
    }

    /// Rows per task of the per-row passes: ~32 K elements.
    private static func rowChunk(_ inner: Int) -> Int { max(1, (1 << 15) / max(inner, 1)) }

    /// The affine `x · scale + shift` that normalises each row `(channel, batch index)` of
    /// `x` (`[channels, batch, inner]`), from its group's mean and variance.
    private func rowAffines(_ v: SendablePointer<Float>, inner: Int, batch: Int, context: ComputeContext)
        -> [(scale: Float, shift: Float)]
    {
        let channels = weight.count
        let perGroup = channels / groups
        let rows = channels * batch
        let count = Double(perGroup * inner)
        /// Statistic index of row `r = c·batch + b`: `b·groups + c / perGroup`.
        @Sendable func statistic(_ r: Int) -> Int { (r % batch) * groups + (r / batch) / perGroup }
        func perRow(_ body: @Sendable (UnsafeMutablePointer<Float>, Int) -> Double) -> [Double] {
            let totals = [Double](unsafeUninitializedCapacity: rows) { t, initialized in
                let t = SendablePointer(t.baseAddress!)
                context.parallelFor(rows, minimumChunk: Self.rowChunk(inner)) { range in
                    for r in range { t.pointer[r] = body(v.pointer + r * inner, r) }
                }
                initialized = rows
            }
            var grouped = [Double](repeating: 0, count: batch * groups)
            for r in 0..<rows { grouped[statistic(r)] += totals[r] }
            return grouped
        }
        let means = perRow { row, _ in rowSum(row, count: inner, center: 0, squared: false) }.map { $0 / count }
        let variances = perRow { row, r in
            rowSum(row, count: inner, center: Float(means[statistic(r)]), squared: true) / count
        }
        return (0..<rows).map { r in
            let s = statistic(r)
            let scale = Float(1 / (variances[s] + Double(epsilon)).squareRoot()) * weight[r / batch]
            return (scale, bias[r / batch] - Float(means[s]) * scale)
        }
    }
}

/// The sum of `row` (or of its squared deviations from `center`), in float SIMD lanes
/// over blocks of 1024 and in double across blocks.
@inline(__always)
func rowSum(_ row: UnsafePointer<Float>, count: Int, center: Float, squared: Bool) -> Double {
    let raw = UnsafeRawPointer(row)
    var total = 0.0
    var i = 0
    while i < count {
        let end = min(count, i + 1024)
        var lanes = SIMD8<Float>(repeating: 0)
        while i + 8 <= end {
            let d = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) - center
            lanes += squared ? d * d : d
            i += 8
        }
        var rest: Float = 0
        while i < end {
            let d = row[i] - center
            rest += squared ? d * d : d
            i += 1
        }
        total += Double(lanes.sum() + rest)
    }
    return total
}

/// `nn.LayerNorm` over the last dimension of `[tokens, channels]`.
struct LayerNorm: Sendable {
    let weight: [Float]
    let bias: [Float]
    var epsilon: Float = 1e-5

    /// Normalises each token into a new tensor, tokens spread over the cores (the input
    /// usually lives on as a residual, so normalising in place would copy it first).
    func callAsFunction(_ x: Tensor, context: ComputeContext) -> Tensor {
        let channels = weight.count
        let tokens = x.count / channels
        let (weight, bias, epsilon) = (weight, bias, epsilon)
        let out = [Float](unsafeUninitializedCapacity: x.count) { o, initialized in
            x.values.withUnsafeBufferPointer { v in
                let (v, o) = (SendablePointer(v.baseAddress!), SendablePointer(o.baseAddress!))
                context.parallelFor(tokens, minimumChunk: max(1, (1 << 14) / channels)) { range in
                    for t in range {
                        let row = UnsafePointer(v.pointer + t * channels)
                        let target = o.pointer + t * channels
                        let mean = Float(rowSum(row, count: channels, center: 0, squared: false)) / Float(channels)
                        let variance = Float(rowSum(row, count: channels, center: mean, squared: true)) / Float(channels)
                        let invStd = 1 / (variance + epsilon).squareRoot()
                        for c in 0..<channels { target[c] = (row[c] - mean) * invStd * weight[c] + bias[c] }
                    }
                }
            }
            initialized = x.count
        }
        return Tensor(shape: x.shape, values: out)
    }
}

/// Exact (erf-based) GELU, in place.
func gelu(_ x: inout Tensor, context: ComputeContext) {
    x.values.withUnsafeMutableBufferPointer { v in
        let shared = SendablePointer(v.baseAddress!)
        context.parallelFor(v.count, minimumChunk: 1 << 15) { range in
            vector_gelu(shared.pointer + range.lowerBound, range.count)
        }
    }
}

/// Gated linear unit over the leading (channel) dimension: the first half times the
/// sigmoid of the second half, in a buffer of its own (for activations that live on,
/// such as the encoder's skips).
func glu(_ x: Tensor, context: ComputeContext) -> Tensor {
    let count = x.count / 2
    let out = [Float](unsafeUninitializedCapacity: count) { o, initialized in
        x.values.withUnsafeBufferPointer { v in
            gatedLinear(SendablePointer(v.baseAddress!), into: SendablePointer(o.baseAddress!), count: count, context: context)
        }
        initialized = count
    }
    var shape = x.shape
    shape[0] /= 2
    return Tensor(shape: shape, values: out)
}

/// `result[i] = input[i] · σ(input[count + i])`.
private func gatedLinear(_ input: SendablePointer<Float>, into output: SendablePointer<Float>, count: Int, context: ComputeContext) {
    context.parallelFor(count, minimumChunk: 1 << 15) { range in
        vector_glu(
            input.pointer + range.lowerBound, input.pointer + count + range.lowerBound,
            output.pointer + range.lowerBound, range.count)
    }
}

/// Elementwise `x += y`, spread over the cores.
func add(_ y: Tensor, to x: inout Tensor, context: ComputeContext) {
    precondition(x.count == y.count, "adding \(y.shape) to \(x.shape)")
    let count = x.count
    x.values.withUnsafeMutableBufferPointer { a in
        y.values.withUnsafeBufferPointer { b in
            let (a, b) = (SendablePointer(a.baseAddress!), SendablePointer(b.baseAddress!))
            context.parallelFor(count, minimumChunk: 1 << 15) { range in
                for i in range { a.pointer[i] += b.pointer[i] }
            }
        }
    }
}

/// `[rows, columns]` → `[columns, rows]`, blocks of the input spread over the cores.
func transposed(_ x: Tensor, context: ComputeContext) -> Tensor {
    let rows = x.shape[0]
    return swappingOuterAxes(x, shape: (rows, 1, x.count / rows), context: context)
}

/// `[a, b, d]` → `[d, b, a]`: the first and last axes swapped, the middle one kept.
/// Work is split over (middle index, block of 32 `d`) pairs; within one, each input row
/// stretch of 32 is read once and the 32 output rows it feeds fill side by side.
func swappingOuterAxes(_ x: Tensor, shape: (a: Int, b: Int, d: Int), context: ComputeContext) -> Tensor {
    let (a, b, d) = shape
    precondition(a * b * d == x.count, "swappingOuterAxes: \(shape) does not match \(x.count) elements")
    let block = 32
    let blocks = (d + block - 1) / block
    let out = [Float](unsafeUninitializedCapacity: x.count) { o, initialized in
        x.values.withUnsafeBufferPointer { v in
            let (v, o) = (SendablePointer(v.baseAddress!), SendablePointer(o.baseAddress!))
            context.parallelFor(b * blocks, minimumChunk: 1) { tasks in
                for task in tasks {
                    let (middle, d0) = (task / blocks, task % blocks * block)
                    for i in 0..<a {
                        let source = v.pointer + (i * b + middle) * d
                        for k in d0..<min(d0 + block, d) { o.pointer[(k * b + middle) * a + i] = source[k] }
                    }
                }
            }
        }
        initialized = x.count
    }
    return Tensor(shape: b == 1 ? [d, a] : [d, b, a], values: out)
}

/// `body` over `values` in SIMD8 blocks, then the tail padded to a block.
@inline(__always)
func mapSIMD8(_ values: UnsafeMutablePointer<Float>, count: Int, _ body: (SIMD8<Float>) -> SIMD8<Float>) {
    var i = 0
    while i + 8 <= count {
        let raw = UnsafeMutableRawPointer(values + i)
        raw.storeBytes(of: body(raw.loadUnaligned(as: SIMD8<Float>.self)), as: SIMD8<Float>.self)
        i += 8
    }
    if i < count {
        var block = SIMD8<Float>(repeating: 0)
        for j in 0..<(count - i) { block[j] = values[i + j] }
        let out = body(block)
        for j in 0..<(count - i) { values[i + j] = out[j] }
    }
}
