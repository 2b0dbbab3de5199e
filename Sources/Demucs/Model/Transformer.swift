import CVectorMath
import Foundation

/// `nn.Linear` on `[tokens, inFeatures]`.
struct Linear: Sendable {
    let weight: Weights
    let bias: [Float]
    let inFeatures: Int
    let outFeatures: Int

    init(_ p: ParameterReader, _ prefix: String, in inFeatures: Int, out outFeatures: Int) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        weight = Weights(p.tensor("\(prefix).weight", [outFeatures, inFeatures]).values)
        bias = p.tensor("\(prefix).bias", [outFeatures]).values
    }

    func callAsFunction(_ x: Tensor, context: ComputeContext) -> Tensor {
        let tokens = x.count / inFeatures
        let out = [Float](unsafeUninitializedCapacity: tokens * outFeatures) { o, initialized in
            x.values.withUnsafeBufferPointer { a in
                weight.withFloats(context: context) { w in
                    biasedProduct(
                        a.baseAddress!, w, bias: bias[...], rows: tokens, inFeatures: inFeatures,
                        into: o.baseAddress!, context: context)
                }
            }
            initialized = tokens * outFeatures
        }
        return Tensor(shape: [tokens, outFeatures], values: out)
    }
}

/// `x · wᵀ + bias` for `x` `[rows, inFeatures]` and `w` `[bias.count, inFeatures]`: the
/// bias is written into every output row and the product added to it (beta 1).
func biasedProduct(
    _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, bias: ArraySlice<Float>, rows: Int, inFeatures: Int,
    into out: UnsafeMutablePointer<Float>,
        context: ComputeContext
    ) {
    let width = bias.count
    let o = SendablePointer(out)
    context.parallelFor(rows, minimumChunk: max(1, (1 << 15) / width)) { range in
        bias.withUnsafeBufferPointer { b in
            for r in range { (o.pointer + r * width).update(from: b.baseAddress!, count: width) }
        }
    }
    context.gemm(
        transposeB: true, m: rows, n: width, k: inFeatures, a: x, lda: inFeatures, b: w, ldb: inFeatures,
        beta: 1, c: out, ldc: width)
}

/// `nn.MultiheadAttention` (packed input projection, batch first) on `[tokens, dim]`.
struct MultiheadAttention: Sendable {
    let dim: Int
    let heads: Int
    let inWeight: Weights
    let inBias: [Float]
    let out: Linear

    init(_ p: ParameterReader, _ prefix: String, dim: Int, heads: Int) {
        self.dim = dim
        self.heads = heads
        inWeight = Weights(p.tensor("\(prefix).in_proj_weight", [3 * dim, dim]).values)
        inBias = p.tensor("\(prefix).in_proj_bias", [3 * dim]).values
        out = Linear(p, "\(prefix).out_proj", in: dim, out: dim)
    }

    /// Projects `x` with the row blocks `parts` (q = 0, k = 1, v = 2) of the packed weight
    /// `w`, side by side: `[tokens, parts.count · dim]` from one product.
    private func project(_ x: Tensor, parts: Range<Int>, weight w: UnsafePointer<Float>, context: ComputeContext) -> [Float] {
        let tokens = x.count / dim
        let width = parts.count * dim
        return [Float](unsafeUninitializedCapacity: tokens * width) { r, initialized in
            x.values.withUnsafeBufferPointer { a in
                biasedProduct(
                    a.baseAddress!, w + parts.lowerBound * dim * dim,
                    bias: inBias[(parts.lowerBound * dim)..<(parts.upperBound * dim)],
                    rows: tokens, inFeatures: dim, into: r.baseAddress!, context: context)
            }
            initialized = tokens * width
        }
    }

    /// Attends from `query` tokens to `keyValue` tokens, or to `query` itself when nil.
    ///
    /// Each head's keys and values are packed once (`vector_attention_pack_keys`/`_values`);
    /// then each (head, block of queries) is an independent task on one core whose score
    /// block stays in cache through the scaled product, the softmax and the product with
    /// the values (`vector_attention_block`), and no core waits on another.
    func callAsFunction(query: Tensor, keyValue: Tensor?, context: ComputeContext) -> Tensor {
        let queries = query.count / dim
        let keys = (keyValue ?? query).count / dim
        let headDim = dim / heads
        // Self-attention projects q, k and v in one product, cross-attention k and v in one.
        let (projectedQuery, projectedKeys) = inWeight.withFloats(context: context) { w in
            if let keyValue {
                (project(query, parts: 0..<1, weight: w, context: context), project(keyValue, parts: 1..<3, weight: w, context: context))
            } else {
                (project(query, parts: 0..<3, weight: w, context: context), [])
            }
        }
        let scale = 1 / Float(headDim).squareRoot()
        let blockRows = Self.queryBlockRows
        let blocks = (queries + blockRows - 1) / blockRows
        let packedCount = vector_attention_packed_count(keys, headDim)
        let packed = UnsafeMutablePointer<Float>.allocate(capacity: 2 * heads * packedCount)
        defer { packed.deallocate() }
        let attended = [Float](unsafeUninitializedCapacity: queries * dim) { attended, initialized in
            projectedQuery.withUnsafeBufferPointer { pq in
                projectedKeys.withUnsafeBufferPointer { pk in
                    let ldq = keyValue == nil ? 3 * dim : dim
                    let (keyBase, ldk) = keyValue == nil ? (pq.baseAddress! + dim, 3 * dim) : (pk.baseAddress!, 2 * dim)
                    let q = SendablePointer(pq.baseAddress!)
                    let k = SendablePointer(keyBase)
                    let o = SendablePointer(attended.baseAddress!)
                    let p = SendablePointer(packed)
                    // Task 2h packs head h's keys, 2h + 1 its values.
                    context.parallelFor(2 * heads, minimumChunk: 1) { tasks in
                        for task in tasks {
                            let (h, isValue) = (task / 2, task % 2 == 1)
                            let source = k.pointer + (isValue ? dim : 0) + h * headDim
                            let target = p.pointer + task * packedCount
                            if isValue {
                                vector_attention_pack_values(source, ldk, keys, headDim, target)
                            } else {
                                vector_attention_pack_keys(source, ldk, keys, headDim, target)
                            }
                        }
                    }
                    context.parallelFor(heads * blocks, minimumChunk: 1) { tasks in
                        let scratch = UnsafeMutablePointer<Float>.allocate(
                            capacity: vector_attention_scratch_count(blockRows, keys))
                        defer { scratch.deallocate() }
                        for task in tasks {
                            let (h, first) = (task / blocks, (task % blocks) * blockRows)
                            let rows = min(blockRows, queries - first)
                            vector_attention_block(
                                q.pointer + first * ldq + h * headDim, ldq, rows,
                                p.pointer + 2 * h * packedCount, p.pointer + (2 * h + 1) * packedCount,
                                keys, headDim, scale, scratch, o.pointer + first * dim + h * headDim, dim)
                        }
                    }
                }
            }
            initialized = queries * dim
        }
        // The scores and the weighted sum: two products of 2·queries·keys·headDim flops per head.
        context.countGemm(flops: 4 * queries * keys * dim)
        return out(Tensor(shape: [queries, dim], values: attended), context: context)
    }

    /// Queries per attention task: a 48-row score block over ~2700 keys is ~0.5 MB, the
    /// size of a Zen 3 core's L2, and a multiple of the kernel's 6-row tiles.
    static let queryBlockRows = 48
}

/// GroupNorm with one group over `[tokens, channels]` (demucs's `MyGroupNorm`): one mean
/// and variance over everything, then a per-channel affine.
struct TokenGroupNorm: Sendable {
    let weight: [Float]
    let bias: [Float]

    init(_ p: ParameterReader, _ prefix: String, dim: Int) {
        weight = p.tensor("\(prefix).weight", [dim]).values
        bias = p.tensor("\(prefix).bias", [dim]).values
    }

    func apply(_ x: inout Tensor, context: ComputeContext) {
        let channels = weight.count
        let tokens = x.count / channels
        let n = Double(x.count)
        let (weight, bias) = (weight, bias)
        x.values.withUnsafeMutableBufferPointer { values in
            let v = SendablePointer(values.baseAddress!)
            let chunk = max(1, (1 << 15) / channels)
            /// Sum over all tokens of a per-token statistic, tokens spread over the cores.
            func total(_ body: @Sendable (UnsafeMutablePointer<Float>) -> Double) -> Double {
                let sums = [Double](unsafeUninitializedCapacity: tokens) { t, initialized in
                    let t = SendablePointer(t.baseAddress!)
                    context.parallelFor(tokens, minimumChunk: chunk) { range in
                        for r in range { t.pointer[r] = body(v.pointer + r * channels) }
                    }
                    initialized = tokens
                }
                return sums.reduce(0, +)
            }
            let mean = total { rowSum($0, count: channels, center: 0, squared: false) } / n
            let squares = total { rowSum($0, count: channels, center: Float(mean), squared: true) }
            let invStd = Float(1 / (squares / n + 1e-5).squareRoot())
            let m = Float(mean)
            context.parallelFor(tokens, minimumChunk: chunk) { range in
                for t in range {
                    let row = v.pointer + t * channels
                    for c in 0..<channels { row[c] = (row[c] - m) * invStd * weight[c] + bias[c] }
                }
            }
        }
    }
}

/// One layer of the cross-domain transformer: self-attention (`MyTransformerEncoderLayer`)
/// or cross-attention (`CrossTransformerEncoderLayer`), norm first, with LayerScale and a
/// final one-group GroupNorm.
struct TransformerLayer: Sendable {
    let isCross: Bool
    let normQuery: LayerNorm
    let normKey: LayerNorm?
    let attention: MultiheadAttention
    let normFeedForward: LayerNorm
    let linear1: Linear
    let linear2: Linear
    let gamma1: [Float]?
    let gamma2: [Float]?
    let normOut: TokenGroupNorm?
    let useGELU: Bool

    init(_ p: ParameterReader, _ prefix: String, isCross: Bool, config: HTDemucsConfig, dim: Int) {
        self.isCross = isCross
        func layerNorm(_ name: String) -> LayerNorm {
            LayerNorm(
                weight: p.tensor("\(prefix).\(name).weight", [dim]).values,
                bias: p.tensor("\(prefix).\(name).bias", [dim]).values)
        }
        let hidden = Int(Double(dim) * config.tHiddenScale)
        normQuery = layerNorm("norm1")
        if isCross {
            normKey = layerNorm("norm2")
            normFeedForward = layerNorm("norm3")
            attention = MultiheadAttention(p, "\(prefix).cross_attn", dim: dim, heads: config.tHeads)
        } else {
            normKey = nil
            normFeedForward = layerNorm("norm2")
            attention = MultiheadAttention(p, "\(prefix).self_attn", dim: dim, heads: config.tHeads)
        }
        linear1 = Linear(p, "\(prefix).linear1", in: dim, out: hidden)
        linear2 = Linear(p, "\(prefix).linear2", in: hidden, out: dim)
        gamma1 = config.tLayerScale ? p.tensor("\(prefix).gamma_1.scale", [dim]).values : nil
        gamma2 = config.tLayerScale ? p.tensor("\(prefix).gamma_2.scale", [dim]).values : nil
        normOut = config.tNormOut ? TokenGroupNorm(p, "\(prefix).norm_out", dim: dim) : nil
        useGELU = config.tGELU
    }

    /// `x` is `[tokens, dim]`; `other` is the other branch's tokens for a cross layer.
    func callAsFunction(_ x: Tensor, other: Tensor?, context: ComputeContext) -> Tensor {
        let q = normQuery(x, context: context)
        let attended: Tensor
        if let normKey, let other {
            attended = attention(query: q, keyValue: normKey(other, context: context), context: context)
        } else {
            attended = attention(query: q, keyValue: nil, context: context)
        }
        var y = x
        addScaled(attended, scale: gamma1, to: &y, context: context)
        var hidden = linear1(normFeedForward(y, context: context), context: context)
        if useGELU {
            gelu(&hidden, context: context)
        } else {
            hidden.values = hidden.values.map { max($0, 0) }
        }
        addScaled(linear2(hidden, context: context), scale: gamma2, to: &y, context: context)
        normOut?.apply(&y, context: context)
        return y
    }
}

/// `x += scale ⊙ y` over `[tokens, dim]` (LayerScale on the channel-last layout).
private func addScaled(_ y: Tensor, scale: [Float]?, to x: inout Tensor, context: ComputeContext) {
    guard let scale else { return add(y, to: &x, context: context) }
    let dim = scale.count
    let count = x.count / dim
    x.values.withUnsafeMutableBufferPointer { a in
        y.values.withUnsafeBufferPointer { b in
            let (a, b) = (SendablePointer(a.baseAddress!), SendablePointer(b.baseAddress!))
            context.parallelFor(count, minimumChunk: max(1, (1 << 15) / dim)) { tokens in
                for t in tokens {
                    for j in 0..<dim { a.pointer[t * dim + j] += scale[j] * b.pointer[t * dim + j] }
                }
            }
        }
    }
}

/// The cross-domain transformer between the two encoders: the spectral tokens
/// (`[C, F, T1]`, 2-D sinusoidal embedding) and the waveform tokens (`[C, T2]`, 1-D
/// embedding) each pass through alternating self and cross layers.
struct CrossTransformer: Sendable {
    let dim: Int
    let normIn: LayerNorm?
    let normInTime: LayerNorm?
    let layers: [TransformerLayer]
    let timeLayers: [TransformerLayer]
    let maxPeriod: Float
    let weightPosEmbed: Float

    init(_ p: ParameterReader, config: HTDemucsConfig, dim: Int) {
        self.dim = dim
        if config.tNormIn {
            normIn = LayerNorm(
                weight: p.tensor("crosstransformer.norm_in.weight", [dim]).values,
                bias: p.tensor("crosstransformer.norm_in.bias", [dim]).values)
            normInTime = LayerNorm(
                weight: p.tensor("crosstransformer.norm_in_t.weight", [dim]).values,
                bias: p.tensor("crosstransformer.norm_in_t.bias", [dim]).values)
        } else {
            normIn = nil
            normInTime = nil
        }
        let classicParity = config.tCrossFirst ? 1 : 0
        layers = (0..<config.tLayers).map {
            TransformerLayer(
                p, "crosstransformer.layers.\($0)", isCross: $0 % 2 != classicParity, config: config, dim: dim)
        }
        timeLayers = (0..<config.tLayers).map {
            TransformerLayer(
                p, "crosstransformer.layers_t.\($0)", isCross: $0 % 2 != classicParity, config: config, dim: dim)
        }
        maxPeriod = Float(config.tMaxPeriod)
        weightPosEmbed = Float(config.tWeightPosEmbed)
    }

    /// `spectral` is `[C, F, T1]`, `temporal` is `[C, T2]`; both come back in those shapes.
    /// `checkpoint` runs between layers and may end the work by throwing.
    func callAsFunction(
        spectral: Tensor, temporal: Tensor, context: ComputeContext, checkpoint: () throws -> Void
    ) throws -> (Tensor, Tensor) {
        let (fr, t1) = (spectral.shape[1], spectral.shape[2])
        // Token n = t1 · F + f, as demucs's "b c fr t1 -> b (t1 fr) c".
        var x = swappingOuterAxes(spectral, shape: (dim, fr, t1), context: context)
        if let normIn { x = normIn(x, context: context) }
        addEmbedding2D(to: &x, height: fr, width: t1, context: context)
        var xt = transposed(temporal, context: context)
        if let normInTime { xt = normInTime(xt, context: context) }
        addEmbedding1D(to: &xt, context: context)
        for (layer, timeLayer) in zip(layers, timeLayers) {
            if layer.isCross {
                let previous = x
                x = layer(x, other: xt, context: context)
                xt = timeLayer(xt, other: previous, context: context)
            } else {
                x = layer(x, other: nil, context: context)
                xt = timeLayer(xt, other: nil, context: context)
            }
            try checkpoint()
        }
        return (swappingOuterAxes(x, shape: (t1, fr, dim), context: context), transposed(xt, context: context))
    }

    /// Adds demucs's `create_2d_sin_embedding`, weighted, to tokens `[t1 · F + f, dim]`.
    /// Its first half of channels depends on the frame only and its second on the
    /// frequency row only, so two small tables hold it.
    private func addEmbedding2D(to x: inout Tensor, height: Int, width: Int, context: ComputeContext) {
        let (dim, half) = (dim, dim / 2)
        let factor = Float(-(log(Double(maxPeriod)) / Double(half)))
        /// Row n: sin and cos of n · div for each even channel.
        func table(_ count: Int) -> [Float] {
            var out = [Float](repeating: 0, count: count * half)
            for j in stride(from: 0, to: half, by: 2) {
                let div = expf(Float(j) * factor)
                for n in 0..<count {
                    out[n * half + j] = sinf(Float(n) * div)
                    out[n * half + j + 1] = cosf(Float(n) * div)
                }
            }
            return out
        }
        let (byFrame, byRow, w) = (table(width), table(height), weightPosEmbed)
        x.values.withUnsafeMutableBufferPointer { v in
            let v = SendablePointer(v.baseAddress!)
            context.parallelFor(width * height, minimumChunk: 64) { tokens in
                for token in tokens {
                    let (frame, row) = (token / height, token % height)
                    let target = v.pointer + token * dim
                    for j in 0..<half {
                        target[j] += w * byFrame[frame * half + j]
                        target[half + j] += w * byRow[row * half + j]
                    }
                }
            }
        }
    }

    /// Adds demucs's `create_sin_embedding` (shift 0), weighted, to tokens `[length, dim]`.
    private func addEmbedding1D(to x: inout Tensor, context: ComputeContext) {
        let (dim, half, w) = (dim, dim / 2, weightPosEmbed)
        let denominators = (0..<half).map { powf(maxPeriod, Float($0) / Float(half - 1)) }
        let length = x.count / dim
        x.values.withUnsafeMutableBufferPointer { v in
            let v = SendablePointer(v.baseAddress!)
            context.parallelFor(length, minimumChunk: 64) { tokens in
                for t in tokens {
                    let target = v.pointer + t * dim
                    for c in 0..<half {
                        let phase = Float(t) / denominators[c]
                        target[c] += w * cosf(phase)
                        target[half + c] += w * sinf(phase)
                    }
                }
            }
        }
    }
}

