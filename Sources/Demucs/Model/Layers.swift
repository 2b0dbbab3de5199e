/// Whether a layer convolves over frequency (`[C, F, T]` tensors, kernels `[k, 1]`) or
/// over time (`[C, T]` tensors).
enum Axis: Sendable { case frequency, time }

/// The DConv residual branch: per depth, a dilated conv compressing the channels,
/// GroupNorm(1), GELU, a 1×1 conv back up, GroupNorm(1), GLU and LayerScale.
/// On the spectral path each frequency row is an independent sequence over time.
struct DConv: Sendable {
    struct Block: Sendable {
        let dilated: Conv2d
        let norm1: GroupNorm
        let pointwise: Conv2d
        let norm2: GroupNorm
        let scale: [Float]
    }
    let blocks: [Block]

    init(_ p: ParameterReader, _ prefix: String, channels: Int, config: HTDemucsConfig) {
        let hidden = Int(Double(channels) / Double(config.dconvCompress))
        blocks = (0..<config.dconvDepth).map { d in
            let dilation = 1 << d
            let at = "\(prefix).layers.\(d)"
            return Block(
                dilated: Conv2d(
                    weight: p.tensor("\(at).0.weight", [hidden, channels, 3]),
                    bias: p.tensor("\(at).0.bias", [hidden]),
                    padding: (0, dilation), dilation: (1, dilation)),
                norm1: GroupNorm(
                    groups: 1, weight: p.tensor("\(at).1.weight", [hidden]).values,
                    bias: p.tensor("\(at).1.bias", [hidden]).values),
                pointwise: Conv2d(
                    weight: p.tensor("\(at).3.weight", [2 * channels, hidden, 1]),
                    bias: p.tensor("\(at).3.bias", [2 * channels])),
                norm2: GroupNorm(
                    groups: 1, weight: p.tensor("\(at).4.weight", [2 * channels]).values,
                    bias: p.tensor("\(at).4.bias", [2 * channels]).values),
                scale: p.tensor("\(at).6.scale", [channels]).values)
        }
    }

    /// Float elements of the doubled pointwise output per band of frequency rows: 2 MB.
    private static let bandBudget = 1 << 19

    /// Adds the branch to `x`, in place: `[C, F, T]` or `[C, T]`.
    ///
    /// Frequency rows are independent sequences, so the spectral path runs a band of rows
    /// at a time, bands spread over the cores (each band's kernels then stay on its core):
    /// the doubled pointwise output (66 MB in htdemucs's first layer) never exists for the
    /// whole spectrogram, and the bands' small products need no splitting.
    func apply(to x: inout Tensor, context: ComputeContext) {
        guard x.shape.count == 3 else { return applyBlocks(to: &x, rows: 1, context: context) }
        let shape = x.shape
        let (channels, rows, frames) = (shape[0], shape[1], shape[2])
        let band = max(1, min(rows, Self.bandBudget / (2 * channels * frames)))
        x.values.withUnsafeMutableBufferPointer { values in
            let x = SendablePointer(values.baseAddress!)
            context.parallelFor((rows + band - 1) / band, minimumChunk: 1) { bands in
                for start in bands.map({ $0 * band }) {
                    var part = rowBand(x.pointer, shape: shape, from: start, count: min(band, rows - start))
                    applyBlocks(to: &part, rows: part.shape[1], context: context)
                    setRowBand(part, of: x.pointer, shape: shape, at: start)
                }
            }
        }
    }

    private func applyBlocks(to x: inout Tensor, rows: Int, context: ComputeContext) {
        for block in blocks {
            var y = block.dilated(x, context: context)
            block.norm1.apply(&y, batch: rows, then: .gelu, context: context)
            y = block.pointwise(y, context: context)
            block.norm2.addGatedLinear(of: y, batch: rows, scale: block.scale, to: &x, context: context)
        }
    }
}

/// A GroupNorm that is present only from `norm_starts` on; identity before.
private func optionalGroupNorm(_ p: ParameterReader, _ name: String, channels: Int, enabled: Bool, groups: Int)
    -> GroupNorm?
{
    guard enabled else { return nil }
    return GroupNorm(
        groups: groups, weight: p.tensor("\(name).weight", [channels]).values,
        bias: p.tensor("\(name).bias", [channels]).values)
}

/// One encoder layer (`HEncLayer`): strided conv, optional GroupNorm, GELU, DConv,
/// 1×1 rewrite conv with GroupNorm and GLU.
struct EncoderLayer: Sendable {
    let axis: Axis
    let stride: Int
    let conv: Conv2d
    let norm1: GroupNorm?
    let dconv: DConv?
    let rewrite: Conv2d
    let norm2: GroupNorm?

    init(
        _ p: ParameterReader, _ prefix: String, axis: Axis, inChannels: Int, outChannels: Int,
        index: Int, config: HTDemucsConfig
    ) {
        self.axis = axis
        let k = config.kernelSize
        stride = config.stride
        let pad = k / 4
        let norm = index >= config.normStarts
        switch axis {
        case .frequency:
            conv = Conv2d(
                weight: p.tensor("\(prefix).conv.weight", [outChannels, inChannels, k, 1]),
                bias: p.tensor("\(prefix).conv.bias", [outChannels]),
                stride: (stride, 1), padding: (pad, 0))
            rewrite = Conv2d(
                weight: p.tensor("\(prefix).rewrite.weight", [2 * outChannels, outChannels, 1, 1]),
                bias: p.tensor("\(prefix).rewrite.bias", [2 * outChannels]))
        case .time:
            conv = Conv2d(
                weight: p.tensor("\(prefix).conv.weight", [outChannels, inChannels, k]),
                bias: p.tensor("\(prefix).conv.bias", [outChannels]),
                stride: (1, stride), padding: (0, pad))
            rewrite = Conv2d(
                weight: p.tensor("\(prefix).rewrite.weight", [2 * outChannels, outChannels, 1]),
                bias: p.tensor("\(prefix).rewrite.bias", [2 * outChannels]))
        }
        norm1 = optionalGroupNorm(p, "\(prefix).norm1", channels: outChannels, enabled: norm, groups: config.normGroups)
        norm2 = optionalGroupNorm(
            p, "\(prefix).norm2", channels: 2 * outChannels, enabled: norm, groups: config.normGroups)
        dconv = config.dconvMode & 1 != 0 ? DConv(p, "\(prefix).dconv", channels: outChannels, config: config) : nil
    }

    func callAsFunction(_ input: Tensor, context: ComputeContext) -> Tensor {
        var x = input
        if axis == .time, x.shape[1] % stride != 0 {
            x = padTime(x, right: stride - x.shape[1] % stride)
        }
        var y = conv(x, context: context)
        if let norm1 { norm1.apply(&y, then: .gelu, context: context) } else { gelu(&y, context: context) }
        dconv?.apply(to: &y, context: context)
        return gatedConv(rewrite, norm: norm2, y, context: context)
    }
}

/// One decoder layer (`HDecLayer`): skip addition, rewrite conv (3×3 or 3 taps) with
/// GroupNorm and GLU, DConv, transposed conv, optional GroupNorm, crop, and GELU unless last.
struct DecoderLayer: Sendable {
    let axis: Axis
    let pad: Int
    let isLast: Bool
    let rewrite: Conv2d
    let norm1: GroupNorm?
    let dconv: DConv?
    let convTranspose: ConvTranspose2d
    let norm2: GroupNorm?

    init(
        _ p: ParameterReader, _ prefix: String, axis: Axis, inChannels: Int, outChannels: Int,
        index: Int, config: HTDemucsConfig
    ) {
        self.axis = axis
        let k = config.kernelSize
        let s = config.stride
        pad = k / 4
        isLast = index == 0
        let norm = index >= config.normStarts
        let context = config.context
        switch axis {
        case .frequency:
            rewrite = Conv2d(
                weight: p.tensor(
                    "\(prefix).rewrite.weight", [2 * inChannels, inChannels, 1 + 2 * context, 1 + 2 * context]),
                bias: p.tensor("\(prefix).rewrite.bias", [2 * inChannels]),
                padding: (context, context))
            convTranspose = ConvTranspose2d(
                weight: p.tensor("\(prefix).conv_tr.weight", [inChannels, outChannels, k, 1]),
                bias: p.tensor("\(prefix).conv_tr.bias", [outChannels]), stride: (s, 1))
        case .time:
            rewrite = Conv2d(
                weight: p.tensor("\(prefix).rewrite.weight", [2 * inChannels, inChannels, 1 + 2 * context]),
                bias: p.tensor("\(prefix).rewrite.bias", [2 * inChannels]),
                padding: (0, context))
            convTranspose = ConvTranspose2d(
                weight: p.tensor("\(prefix).conv_tr.weight", [inChannels, outChannels, k]),
                bias: p.tensor("\(prefix).conv_tr.bias", [outChannels]), stride: (1, s))
        }
        norm1 = optionalGroupNorm(
            p, "\(prefix).norm1", channels: 2 * inChannels, enabled: norm, groups: config.normGroups)
        norm2 = optionalGroupNorm(p, "\(prefix).norm2", channels: outChannels, enabled: norm, groups: config.normGroups)
        dconv = config.dconvMode & 2 != 0 ? DConv(p, "\(prefix).dconv", channels: inChannels, config: config) : nil
    }

    /// Replaces `x` by the layer's output. `length` is the time length the matching
    /// encoder layer received (time axis only). The skip sum is formed in `x`'s buffer and
    /// each activation is released as soon as the next one exists.
    func apply(to x: inout Tensor, skip: consuming Tensor, length: Int, context: ComputeContext) {
        add(skip, to: &x, context: context)
        _ = consume skip
        x = gatedConv(rewrite, norm: norm1, x, context: context)
        dconv?.apply(to: &x, context: context)
        if let norm2 {
            // The norm's statistics include the rows and samples the crop drops.
            x = convTranspose(x, context: context)
            norm2.apply(&x, context: context)
            switch axis {
            case .frequency: cropRows(&x, from: pad, count: x.shape[1] - 2 * pad)
            case .time: x = cropTime(x, from: pad, count: length)
            }
        } else {
            switch axis {
            case .frequency:
                let rows = (x.shape[1] - 1) * convTranspose.stride.height + convTranspose.kernel.height
                x = convTranspose(x, rows: pad..<(rows - pad), context: context)
            case .time: x = convTranspose(x, columns: pad..<(pad + length), context: context)
            }
        }
        if !isLast { gelu(&x, context: context) }
    }
}

/// `glu(norm(conv(x)))`. Without a norm the doubled activation is never formed whole;
/// a GroupNorm needs its statistics over all of it first.
private func gatedConv(_ conv: Conv2d, norm: GroupNorm?, _ x: Tensor, context: ComputeContext) -> Tensor {
    guard let norm else { return conv.gated(x, context: context) }
    var z = conv(x, context: context)
    norm.apply(&z, context: context)
    return glu(z, context: context)
}

/// Rows `[from, from + count)` of each channel of the `[C, F, T]` tensor at `x`, as a
/// tensor of their own.
func rowBand(_ x: UnsafePointer<Float>, shape: [Int], from start: Int, count: Int) -> Tensor {
    let (channels, rows, width) = (shape[0], shape[1], shape[2])
    let values = [Float](unsafeUninitializedCapacity: channels * count * width) { out, initialized in
        for c in 0..<channels {
            (out.baseAddress! + c * count * width).initialize(from: x + (c * rows + start) * width, count: count * width)
        }
        initialized = channels * count * width
    }
    return Tensor(shape: [channels, count, width], values: values)
}

/// Writes `band` (`[C, count, T]`) over rows `[at, at + count)` of each channel of the
/// `[C, F, T]` tensor at `x`.
func setRowBand(_ band: Tensor, of x: UnsafeMutablePointer<Float>, shape: [Int], at start: Int) {
    let (channels, rows, width) = (shape[0], shape[1], shape[2])
    let count = band.shape[1]
    band.values.withUnsafeBufferPointer { b in
        for c in 0..<channels {
            (x + (c * rows + start) * width).update(from: b.baseAddress! + c * count * width, count: count * width)
        }
    }
}

/// Appends `right` zeros to each channel of `[C, T]`.
func padTime(_ x: Tensor, right: Int) -> Tensor {
    cropTime(x, from: 0, count: x.shape[1] + right)
}

/// The window `[from, from + count)` of each channel of `[C, T]`, zero beyond the end.
func cropTime(_ x: Tensor, from start: Int, count: Int) -> Tensor {
    let channels = x.shape[0]
    let length = x.shape[1]
    var out = [Float](repeating: 0, count: channels * count)
    let available = max(0, min(count, length - start))
    x.values.withUnsafeBufferPointer { v in
        out.withUnsafeMutableBufferPointer { o in
            for c in 0..<channels where available > 0 {
                (o.baseAddress! + c * count).update(from: v.baseAddress! + c * length + start, count: available)
            }
        }
    }
    return Tensor(shape: [channels, count], values: out)
}

/// Keeps rows `[from, from + count)` of each channel of `[C, F, T]`, moved down in
/// the tensor's own buffer (every row moves to a lower address, so in order is safe).
func cropRows(_ x: inout Tensor, from start: Int, count: Int) {
    let (channels, rows, width) = (x.shape[0], x.shape[1], x.shape[2])
    x.values.withUnsafeMutableBufferPointer { v in
        let base = v.baseAddress!
        for c in 0..<channels {
            (base + c * count * width).update(from: base + (c * rows + start) * width, count: count * width)
        }
    }
    x.values.removeLast((rows - count) * channels * width)
    x.shape[1] = count
}
