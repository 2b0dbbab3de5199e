/// A 2-D convolution (`nn.Conv2d`; `nn.Conv1d` is the case of height 1) computed as
/// one GEMM over an im2col matrix.
///
/// Inputs are `[channels, height, width]`; a 1-D signal `[channels, time]` is seen as
/// height 1.
struct Conv2d: Sendable {
    /// `[outChannels, inChannels · kernelHeight · kernelWidth]`.
    let weight: [Float]
    let bias: [Float]?
    let inChannels: Int
    let outChannels: Int
    let kernel: (height: Int, width: Int)
    let stride: (height: Int, width: Int)
    let padding: (height: Int, width: Int)
    let dilation: (height: Int, width: Int)

    init(
        weight: Tensor, bias: Tensor?,
        stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1)
    ) {
        // Conv1d weights are [out, in, k]; Conv2d weights are [out, in, kh, kw].
        let isOneD = weight.shape.count == 3
        self.outChannels = weight.shape[0]
        self.inChannels = weight.shape[1]
        self.kernel = isOneD ? (1, weight.shape[2]) : (weight.shape[2], weight.shape[3])
        self.weight = weight.values
        self.bias = bias?.values
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
    }

    func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        (
            (height + 2 * padding.height - dilation.height * (kernel.height - 1) - 1) / stride.height + 1,
            (width + 2 * padding.width - dilation.width * (kernel.width - 1) - 1) / stride.width + 1
        )
    }

    /// Applies the convolution to `input` of shape `[inChannels, height, width]`
    /// (or `[inChannels, width]`), returning the same rank.
    func callAsFunction(_ input: Tensor) -> Tensor {
        let isOneD = input.shape.count == 2
        let height = isOneD ? 1 : input.shape[1]
        let width = input.shape.last!
        precondition(input.shape[0] == inChannels, "conv expects \(inChannels) channels, got \(input.shape)")
        let (outHeight, outWidth) = outputSize(height: height, width: width)
        let columns = outHeight * outWidth
        let depth = inChannels * kernel.height * kernel.width
        var output = [Float](repeating: 0, count: outChannels * columns)
        let isPointwise = kernel == (1, 1) && stride == (1, 1) && padding == (0, 0)
        output.withUnsafeMutableBufferPointer { out in
            weight.withUnsafeBufferPointer { w in
                if isPointwise {
                    input.values.withUnsafeBufferPointer { x in
                        gemm(
                            m: outChannels, n: columns, k: depth,
                            a: w.baseAddress!, lda: depth, b: x.baseAddress!, ldb: columns,
                            c: out.baseAddress!, ldc: columns)
                    }
                } else {
                    var patches = [Float](repeating: 0, count: depth * columns)
                    patches.withUnsafeMutableBufferPointer { col in
                        input.values.withUnsafeBufferPointer { x in
                            im2col(x, height: height, width: width, into: col)
                        }
                        gemm(
                            m: outChannels, n: columns, k: depth,
                            a: w.baseAddress!, lda: depth, b: UnsafePointer(col.baseAddress!), ldb: columns,
                            c: out.baseAddress!, ldc: columns)
                    }
                }
            }
            if let bias { addChannelBias(bias, to: out, inner: columns) }
        }
        return Tensor(shape: isOneD ? [outChannels, outWidth] : [outChannels, outHeight, outWidth], values: output)
    }

    /// Lays out every receptive field as a column: row `(c, kh, kw)`, column `(oh, ow)`.
    private func im2col(
        _ x: UnsafeBufferPointer<Float>, height: Int, width: Int, into col: UnsafeMutableBufferPointer<Float>
    ) {
        let (outHeight, outWidth) = outputSize(height: height, width: width)
        var row = 0
        for c in 0..<inChannels {
            for kh in 0..<kernel.height {
                for kw in 0..<kernel.width {
                    let rowBase = row * outHeight * outWidth
                    for oh in 0..<outHeight {
                        let ih = oh * stride.height + kh * dilation.height - padding.height
                        let dst = rowBase + oh * outWidth
                        guard ih >= 0 && ih < height else { continue }
                        let src = (c * height + ih) * width
                        let shift = kw * dilation.width - padding.width
                        if stride.width == 1 {
                            let lo = max(0, -shift)
                            let hi = min(outWidth, width - shift)
                            if lo < hi {
                                (col.baseAddress! + dst + lo).update(
                                    from: x.baseAddress! + src + lo + shift, count: hi - lo)
                            }
                        } else {
                            for ow in 0..<outWidth {
                                let iw = ow * stride.width + shift
                                if iw >= 0 && iw < width { col[dst + ow] = x[src + iw] }
                            }
                        }
                    }
                    row += 1
                }
            }
        }
    }
}

/// A transposed 2-D convolution (`nn.ConvTranspose2d` / `nn.ConvTranspose1d`) without
/// padding, computed as one GEMM followed by a col2im scatter.
struct ConvTranspose2d: Sendable {
    /// `[inChannels, outChannels · kernelHeight · kernelWidth]`.
    let weight: [Float]
    let bias: [Float]?
    let inChannels: Int
    let outChannels: Int
    let kernel: (height: Int, width: Int)
    let stride: (height: Int, width: Int)

    init(weight: Tensor, bias: Tensor?, stride: (Int, Int)) {
        let isOneD = weight.shape.count == 3
        self.inChannels = weight.shape[0]
        self.outChannels = weight.shape[1]
        self.kernel = isOneD ? (1, weight.shape[2]) : (weight.shape[2], weight.shape[3])
        self.weight = weight.values
        self.bias = bias?.values
        self.stride = stride
    }

    /// Applies the transposed convolution to `[inChannels, height, width]` (or `[inChannels, width]`).
    func callAsFunction(_ input: Tensor) -> Tensor {
        let isOneD = input.shape.count == 2
        let height = isOneD ? 1 : input.shape[1]
        let width = input.shape.last!
        precondition(input.shape[0] == inChannels, "transposed conv expects \(inChannels) channels, got \(input.shape)")
        let outHeight = (height - 1) * stride.height + kernel.height
        let outWidth = (width - 1) * stride.width + kernel.width
        let taps = kernel.height * kernel.width
        let columns = height * width
        var cols = [Float](repeating: 0, count: outChannels * taps * columns)
        var output = [Float](repeating: 0, count: outChannels * outHeight * outWidth)
        cols.withUnsafeMutableBufferPointer { col in
            weight.withUnsafeBufferPointer { w in
                input.values.withUnsafeBufferPointer { x in
                    gemm(
                        transposeA: true, m: outChannels * taps, n: columns, k: inChannels,
                        a: w.baseAddress!, lda: outChannels * taps, b: x.baseAddress!, ldb: columns,
                        c: col.baseAddress!, ldc: columns)
                }
            }
            output.withUnsafeMutableBufferPointer { out in
                for co in 0..<outChannels {
                    for kh in 0..<kernel.height {
                        for kw in 0..<kernel.width {
                            let src = ((co * kernel.height + kh) * kernel.width + kw) * columns
                            for ih in 0..<height {
                                let orow = (co * outHeight + ih * stride.height + kh) * outWidth + kw
                                let srow = src + ih * width
                                if stride.width == 1 {
                                    for iw in 0..<width { out[orow + iw] += col[srow + iw] }
                                } else {
                                    for iw in 0..<width { out[orow + iw * stride.width] += col[srow + iw] }
                                }
                            }
                        }
                    }
                }
                if let bias { addChannelBias(bias, to: out, inner: outHeight * outWidth) }
            }
        }
        return Tensor(shape: isOneD ? [outChannels, outWidth] : [outChannels, outHeight, outWidth], values: output)
    }
}

/// Adds `bias[c]` to each of the `inner` elements of channel `c`.
func addChannelBias(_ bias: [Float], to x: UnsafeMutableBufferPointer<Float>, inner: Int) {
    for c in 0..<bias.count {
        let b = bias[c]
        let base = c * inner
        for i in 0..<inner { x[base + i] += b }
    }
}
