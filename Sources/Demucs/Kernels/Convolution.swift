import CVectorMath

/// A 2-D convolution (`nn.Conv2d`; `nn.Conv1d` is the case of height 1) computed as
/// one GEMM over an im2col matrix.
///
/// Inputs are `[channels, height, width]`; a 1-D signal `[channels, time]` is seen as
/// height 1.
struct Conv2d: Sendable {
    /// `[outChannels, inChannels · kernelHeight · kernelWidth]`.
    let weight: Weights
    let bias: [Float]?
    let inChannels: Int
    let outChannels: Int
    let kernel: (height: Int, width: Int)
    let stride: (height: Int, width: Int)
    let padding: (height: Int, width: Int)
    let dilation: (height: Int, width: Int)
    /// Floats of each of the Winograd path's buffers: a task's transformed inputs, its
    /// products, a block's transformed weights.
    let winogradBudget: Int

    init(
        weight: Tensor, bias: Tensor?,
        stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1),
        winogradBudget: Int = 1 << 21
    ) {
        self.winogradBudget = winogradBudget
        // Conv1d weights are [out, in, k]; Conv2d weights are [out, in, kh, kw].
        let isOneD = weight.shape.count == 3
        self.outChannels = weight.shape[0]
        self.inChannels = weight.shape[1]
        self.kernel = isOneD ? (1, weight.shape[2]) : (weight.shape[2], weight.shape[3])
        self.weight = Weights(weight.values)
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
    ///
    /// A 1×1 convolution is one product over the input itself. A convolution along rows
    /// with few outputs (DConv's compressing one) runs directly, with no product. Other
    /// kernels build their patch matrix a tile of output positions at a time (rows of the
    /// output, or stretches of a 1-D output) in a per-thread buffer of ~2 MB that stays in
    /// cache, so no full-size patch matrix (up to 300 MB for the decoder's 3×3 rewrite) is
    /// allocated, and tiles run on all cores.
    func callAsFunction(_ input: Tensor, context: ComputeContext) -> Tensor {
        convolve(input, gated: false, context: context)
    }

    /// The gated linear unit of the convolution's output: its first half of channels
    /// times the sigmoid of its second half.
    ///
    /// Formed tile by tile, so the doubled activation (66 MB in the last decoder layer
    /// of htdemucs) never exists whole.
    func gated(_ input: Tensor, context: ComputeContext) -> Tensor {
        convolve(input, gated: true, context: context)
    }

    private func convolve(_ input: Tensor, gated: Bool, context: ComputeContext) -> Tensor {
        let isOneD = input.shape.count == 2
        let height = isOneD ? 1 : input.shape[1]
        let width = input.shape.last!
        precondition(input.shape[0] == inChannels, "conv expects \(inChannels) channels, got \(input.shape)")
        precondition(!gated || outChannels % 2 == 0, "a gated conv needs an even number of output channels")
        let (outHeight, outWidth) = outputSize(height: height, width: width)
        let columns = outHeight * outWidth
        let depth = inChannels * kernel.height * kernel.width
        let produced = gated ? outChannels / 2 : outChannels
        let output = [Float](unsafeUninitializedCapacity: produced * columns) { out, initialized in
            defer { initialized = produced * columns }
            // No output columns: nothing to compute (and no tile to size).
            guard columns > 0 else { return }
            if isWinograd {
                input.values.withUnsafeBufferPointer { x in
                    convolveWinograd(
                        x.baseAddress!, height: height, width: width, into: out.baseAddress!, gated: gated,
                        context: context)
                }
                return
            }
            weight.withFloats(context: context) { w in
                input.values.withUnsafeBufferPointer { x in
                    if isPointwise && !gated {
                        if let bias { fillChannels(out.baseAddress!, with: bias, inner: columns, context: context) }
                        context.gemm(
                            m: outChannels, n: columns, k: depth, a: w, lda: depth,
                            b: x.baseAddress!, ldb: columns, beta: bias == nil ? 0 : 1, c: out.baseAddress!,
                            ldc: columns)
                    } else if !gated, let bias, runsDirectly {
                        convolveDirectly(
                            x.baseAddress!, height: height, width: width, weight: w, bias: bias,
                            into: out.baseAddress!, context: context)
                    } else {
                        convolveTiled(
                            x.baseAddress!, height: height, width: width, weight: w,
                            into: out.baseAddress!, gated: gated, context: context)
                    }
                }
            }
        }
        return Tensor(shape: isOneD ? [produced, outWidth] : [produced, outHeight, outWidth], values: output)
    }

    private var isPointwise: Bool {
        kernel == (1, 1) && stride == (1, 1) && padding == (0, 0)
    }

    /// Output channels up to which a stride-1 convolution along rows runs directly
    /// (`vector_direct_conv1d`, DConv's compressing convolution) instead of as a product:
    /// 3.2× faster alone at 6 outputs from 48 channels, 1.6× at 12 from 96, slower from
    /// 24 up.
    private static let directOutputLimit = 12

    /// Output columns per task of the direct path.
    private static let directColumns = 1024

    private var runsDirectly: Bool {
        outChannels <= Self.directOutputLimit && kernel.height == 1 && stride == (1, 1) && padding.height == 0
            && dilation.height == 1
    }

    /// The direct path: each input row is an independent 1-D convolution, cut into
    /// stretches of output columns spread over the cores.
    private func convolveDirectly(
        _ x: UnsafePointer<Float>, height: Int, width: Int, weight: UnsafePointer<Float>, bias: [Float],
        into out: UnsafeMutablePointer<Float>, context: ComputeContext
    ) {
        let outWidth = outputSize(height: height, width: width).width
        let chunks = (outWidth + Self.directColumns - 1) / Self.directColumns
        let span = (outWidth + chunks - 1) / chunks
        let (x, weight, out) = (SendablePointer(x), SendablePointer(weight), SendablePointer(out))
        let (channels, outputs, taps, dilation, padding) =
            (inChannels, outChannels, kernel.width, dilation.width, padding.width)
        context.parallelFor(height * chunks, minimumChunk: 1) { tasks in
            let scratch = UnsafeMutablePointer<Float>.allocate(
                capacity: vector_direct_conv1d_scratch_count(channels, span, taps, dilation))
            defer { scratch.deallocate() }
            bias.withUnsafeBufferPointer { bias in
                for task in tasks {
                    let (row, first) = (task / chunks, task % chunks * span)
                    vector_direct_conv1d(
                        x.pointer + row * width, channels, height * width, width, weight.pointer, bias.baseAddress!,
                        outputs, taps, dilation, padding, first, min(outWidth, first + span), scratch,
                        out.pointer + row * outWidth, height * outWidth)
                }
            }
        }
    }

    /// Whether the convolution runs as Winograd F(4×4, 3×3): 3×3 kernels with stride 1
    /// and padding 1 (the decoder's spectral rewrite, 17 % of htdemucs's products in direct form).
    private var isWinograd: Bool {
        kernel == (3, 3) && stride == (1, 1) && padding == (1, 1) && dilation == (1, 1)
    }

    /// Winograd F(4×4, 3×3): each 4×4 block of outputs ("tile") takes 36 products per
    /// channel pair instead of 144, as 36 matrix products of the transformed weights and
    /// inputs (one per transform point), between an input and an output transform (with
    /// the bias, and the GLU when `gated`). The products' work still counts in `gemmFlops`
    /// as the direct convolution it replaces.
    ///
    /// Tasks are stretches of tiles. When the transformed weights fit the budget, each task
    /// transforms its inputs and runs its products at once. Otherwise (many channels, few
    /// tiles) the weights go through in blocks of output channels, and a group of tasks'
    /// transformed inputs is kept for all blocks, so that no buffer exceeds the budget.
    private func convolveWinograd(
        _ x: UnsafePointer<Float>, height: Int, width: Int, into out: UnsafeMutablePointer<Float>, gated: Bool,
        context: ComputeContext
    ) {
        let points = 36
        let tiles = (height + 3) / 4 * ((width + 3) / 4)
        let (inputs, outputs) = (inChannels, outChannels)
        let produced = gated ? outputs / 2 : outputs
        // Rows of products per output channel: its value, and its gate when gated.
        let rowsPerChannel = gated ? 2 : 1
        let budget = winogradBudget
        // Longer stretches for more channels, where each product's packing of its weights
        // costs more: 256 tiles up to 191 channels, more from 192 within the budget.
        let perTask = balancedTile(
            tiles, limit: max(1, min(256 * max(1, inputs / 96), budget / (points * inputs))), threads: context.threads)
        let tasks = (tiles + perTask - 1) / perTask
        let rowLimit = max(1, budget / (points * max(perTask, inputs)) / rowsPerChannel)
        let blocks = (produced + rowLimit - 1) / rowLimit
        let blockSize = (produced + blocks - 1) / blocks
        let block: @Sendable (Int) -> Range<Int> = {
            (blockSize * $0)..<min(produced, blockSize * ($0 + 1))
        }
        let rowsPerBlock = rowsPerChannel * blockSize
        let transformed = UnsafeMutablePointer<Float>.allocate(capacity: points * rowsPerBlock * inputs)
        defer { transformed.deallocate() }
        let bias = self.bias ?? [Float](repeating: 0, count: outputs)
        let (u, x, out) = (SendablePointer(transformed), SendablePointer(x), SendablePointer(out))

        /// Block `b`'s transformed weights, `[point][row][input]`: its values, then its gates.
        func transformWeights(_ b: Int) {
            let channels = block(b)
            let rows = rowsPerChannel * channels.count
            context.parallelFor(rows, minimumChunk: 16) { part in
                let kernels = inputs * 9
                let widened = UnsafeMutablePointer<Float>.allocate(capacity: part.count * kernels)
                defer { widened.deallocate() }
                for row in part {
                    let channel = (row < channels.count ? 0 : produced - channels.count) + channels.lowerBound + row
                    weight.copyFloats(
                        channel * kernels..<(channel + 1) * kernels, into: widened + (row - part.lowerBound) * kernels)
                }
                vector_winograd_weights(widened, part.count * inputs, rows * inputs, u.pointer + part.lowerBound * inputs)
            }
        }

        /// Task `task`'s products and output transform for block `b`, from its transformed inputs `v`.
        @Sendable func products(
            _ task: Int, block b: Int, v: UnsafePointer<Float>, m: UnsafeMutablePointer<Float>,
            scratch: UnsafeMutablePointer<Float>
        ) {
            let (first, last) = (task * perTask, min(tiles, (task + 1) * perTask))
            let n = last - first
            let channels = block(b)
            let rows = rowsPerChannel * channels.count
            for point in 0..<points {
                context.serialGemm(
                    m: rows, n: n, k: inputs, a: u.pointer + point * rows * inputs, lda: inputs,
                    b: v + point * inputs * n, ldb: n, c: m + point * rows * n, ldc: n)
            }
            bias.withUnsafeBufferPointer { bias in
                vector_winograd_output(
                    m, channels.count, bias.baseAddress! + channels.lowerBound,
                    gated ? bias.baseAddress! + produced + channels.lowerBound : nil,
                    height, width, first, last, scratch, out.pointer + channels.lowerBound * height * width)
            }
        }

        /// Runs `body` over `count` tasks on the cores, each thread with its own scratch and,
        /// when `withProducts`, its own products.
        func eachTask(
            _ count: Int, withProducts: Bool = true,
            _ body: @Sendable (Int, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void
        ) {
            context.parallelFor(count, minimumChunk: 1) { range in
                let m = UnsafeMutablePointer<Float>.allocate(capacity: withProducts ? points * rowsPerBlock * perTask : 0)
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: vector_winograd_scratch_count(width))
                defer {
                    m.deallocate()
                    scratch.deallocate()
                }
                for index in range { body(index, m, scratch) }
            }
        }

        let inputsPerTask = points * inputs * perTask
        if blocks == 1 {
            transformWeights(0)
            eachTask(tasks) { task, m, scratch in
                let v = UnsafeMutablePointer<Float>.allocate(capacity: inputsPerTask)
                defer { v.deallocate() }
                vector_winograd_input(
                    x.pointer, inputs, height, width, task * perTask, min(tiles, (task + 1) * perTask), scratch, v)
                products(task, block: 0, v: v, m: m, scratch: scratch)
            }
        } else {
            // Twice the budget, in whole rounds of the cores.
            let groupSize = max(1, 2 * budget / inputsPerTask / context.threads) * context.threads
            let kept = SendablePointer(
                UnsafeMutablePointer<Float>.allocate(capacity: min(groupSize, tasks) * inputsPerTask))
            defer { kept.pointer.deallocate() }
            for start in Swift.stride(from: 0, to: tasks, by: groupSize) {
                let group = start..<min(tasks, start + groupSize)
                eachTask(group.count, withProducts: false) { index, _, scratch in
                    let task = group.lowerBound + index
                    vector_winograd_input(
                        x.pointer, inputs, height, width, task * perTask, min(tiles, (task + 1) * perTask), scratch,
                        kept.pointer + index * inputsPerTask)
                }
                for b in 0..<blocks {
                    transformWeights(b)
                    eachTask(group.count) { index, m, scratch in
                        products(
                            group.lowerBound + index, block: b, v: kept.pointer + index * inputsPerTask, m: m,
                            scratch: scratch)
                    }
                }
            }
        }
        let direct = 2 * outputs * inputs * 9 * height * width
        context.countGemm(flops: direct - 2 * outputs * inputs * points * tiles, issued: 0)
    }

    /// Patch-matrix (or product) elements per tile: 2 MB of floats.
    private static let tileBudget = 1 << 19

    /// The im2col + GEMM path, tile by tile. The bias is written into the product tile and
    /// the product added to it (beta 1), which spares OpenBLAS its pass scaling C by beta 0.
    /// A pointwise kernel reads the input in place of a patch matrix. When `gated`, each
    /// tile's product goes to a per-thread buffer and only its GLU reaches `out`.
    private func convolveTiled(
        _ x: UnsafePointer<Float>, height: Int, width: Int, weight: UnsafePointer<Float>,
        into out: UnsafeMutablePointer<Float>, gated: Bool,
        context: ComputeContext
    ) {
        let (outHeight, outWidth) = outputSize(height: height, width: width)
        let columns = outHeight * outWidth
        let depth = inChannels * kernel.height * kernel.width
        let pointwise = isPointwise
        // Tiles are bands of whole output rows, or stretches of the single row of a 1-D output.
        let perTile = max(1, Self.tileBudget / max(pointwise ? 0 : depth, gated ? outChannels : 0, 1))
        let threads = context.threads
        let (tileRows, tileWidth) =
            outHeight > 1
            ? (balancedTile(outHeight, limit: max(1, perTile / outWidth), threads: threads), outWidth)
            : (1, balancedTile(outWidth, limit: perTile, threads: threads))
        let rowTiles = (outHeight + tileRows - 1) / tileRows
        let widthTiles = (outWidth + tileWidth - 1) / tileWidth
        let (x, weight, out) = (SendablePointer(x), SendablePointer(weight), SendablePointer(out))
        let half = outChannels / 2
        context.parallelFor(rowTiles * widthTiles, minimumChunk: 1) { tiles in
            let tileSize = tileRows * tileWidth
            let patches = UnsafeMutablePointer<Float>.allocate(capacity: pointwise ? 0 : depth * tileSize)
            let product = UnsafeMutablePointer<Float>.allocate(capacity: gated ? outChannels * tileSize : 0)
            defer {
                patches.deallocate()
                product.deallocate()
            }
            for tile in tiles {
                let rows = (tile / widthTiles * tileRows)..<min(outHeight, (tile / widthTiles + 1) * tileRows)
                let cols = (tile % widthTiles * tileWidth)..<min(outWidth, (tile % widthTiles + 1) * tileWidth)
                let n = rows.count * cols.count
                let offset = rows.lowerBound * outWidth + cols.lowerBound
                let (source, ldb) = pointwise ? (UnsafePointer(x.pointer) + offset, columns) : (UnsafePointer(patches), n)
                if !pointwise {
                    im2col(x.pointer, height: height, width: width, rows: rows, cols: cols, into: patches)
                }
                let (target, ldc) = gated ? (product, n) : (out.pointer + offset, columns)
                if let bias {
                    for c in 0..<outChannels { (target + c * ldc).update(repeating: bias[c], count: n) }
                }
                context.serialGemm(
                    m: outChannels, n: n, k: depth, a: weight.pointer, lda: depth, b: source, ldb: ldb,
                    beta: bias == nil ? 0 : 1, c: target, ldc: ldc)
                if gated {
                    for c in 0..<half {
                        vector_glu(product + c * n, product + (half + c) * n, out.pointer + c * columns + offset, n)
                    }
                }
            }
        }
    }

    /// Lays out the receptive fields of output rows `rows` × columns `cols` (`cols` spans
    /// the full width whenever `rows` has more than one row) as the columns of a
    /// `[depth, rows·cols]` matrix: row `(c, kh, kw)`, zero where the kernel hangs over
    /// the padding.
    private func im2col(
        _ x: UnsafePointer<Float>, height: Int, width: Int, rows: Range<Int>, cols: Range<Int>,
        into col: UnsafeMutablePointer<Float>
    ) {
        let n = rows.count * cols.count
        var row = 0
        for c in 0..<inChannels {
            for kh in 0..<kernel.height {
                for kw in 0..<kernel.width {
                    let shift = kw * dilation.width - padding.width
                    for (r, oh) in rows.enumerated() {
                        let dst = col + row * n + r * cols.count
                        let ih = oh * stride.height + kh * dilation.height - padding.height
                        guard ih >= 0 && ih < height else {
                            dst.update(repeating: 0, count: cols.count)
                            continue
                        }
                        let src = x + (c * height + ih) * width
                        if stride.width == 1 {
                            // Valid outputs: 0 ≤ ow + shift < width.
                            let lo = min(max(cols.lowerBound, -shift), cols.upperBound)
                            let hi = max(min(cols.upperBound, width - shift), lo)
                            dst.update(repeating: 0, count: lo - cols.lowerBound)
                            (dst + lo - cols.lowerBound).update(from: src + lo + shift, count: hi - lo)
                            (dst + hi - cols.lowerBound).update(repeating: 0, count: cols.upperBound - hi)
                        } else {
                            for ow in cols {
                                let iw = ow * stride.width + shift
                                dst[ow - cols.lowerBound] = iw >= 0 && iw < width ? src[iw] : 0
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
    let weight: Weights
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
        self.weight = Weights(weight.values)
        self.bias = bias?.values
        self.stride = stride
    }

    /// Applies the transposed convolution to `[inChannels, height, width]` (or `[inChannels, width]`).
    ///
    /// `rows` and `columns`, when given, keep only that window of the output (each within
    /// the full output): the decoder's crop, formed without the full output existing.
    ///
    /// Input positions are taken a tile at a time (bands of input rows, or stretches of
    /// a 1-D input): a product gives the tile's contributions for every output channel
    /// and tap (~2 MB), scattered into the output before the next tile, instead of one
    /// patch matrix for the whole input (88 MB in the last decoder layer). Each core
    /// does this for its own group of output channels, so no core waits on another
    /// between tiles.
    func callAsFunction(_ input: Tensor, rows keptRows: Range<Int>? = nil, columns keptColumns: Range<Int>? = nil, context: ComputeContext)
        -> Tensor
    {
        let isOneD = input.shape.count == 2
        let height = isOneD ? 1 : input.shape[1]
        let width = input.shape.last!
        precondition(input.shape[0] == inChannels, "transposed conv expects \(inChannels) channels, got \(input.shape)")
        let keptRows = keptRows ?? 0..<((height - 1) * stride.height + kernel.height)
        let keptColumns = keptColumns ?? 0..<((width - 1) * stride.width + kernel.width)
        precondition(
            keptRows.upperBound <= (height - 1) * stride.height + kernel.height
                && keptColumns.upperBound <= (width - 1) * stride.width + kernel.width,
            "the kept window must lie within the transposed conv's output")
        let (outHeight, outWidth) = (keptRows.count, keptColumns.count)
        let taps = kernel.height * kernel.width
        let columns = height * width
        let shape = isOneD ? [outChannels, outWidth] : [outChannels, outHeight, outWidth]
        let (kernel, stride, outChannels) = (kernel, stride, outChannels)
        let start = bias ?? [Float](repeating: 0, count: outChannels)
        var output = [Float](unsafeUninitializedCapacity: outChannels * outHeight * outWidth) { out, initialized in
            fillChannels(out.baseAddress!, with: start, inner: outHeight * outWidth, context: context)
            initialized = outChannels * outHeight * outWidth
        }
        // No input columns: nothing to add to the bias (and no tile to size).
        guard columns > 0 else { return Tensor(shape: shape, values: output) }
        let perTile = max(1, Self.tileBudget / (outChannels * taps))
        let (tileRows, tileWidth) =
            height > 1 ? (max(1, min(height, perTile / width)), width) : (1, min(width, perTile))
        // Each core takes a group of output channels through every tile: their rows of the
        // product, then their col2im, with no wait for the other cores in between.
        let groups = min(context.threads, outChannels)
        weight.withFloats(context: context) { w in
            input.values.withUnsafeBufferPointer { x in
                output.withUnsafeMutableBufferPointer { out in
                    let (w, x, out) = (SendablePointer(w), SendablePointer(x.baseAddress!), SendablePointer(out.baseAddress!))
                    context.parallelFor(groups, minimumChunk: 1) { range in
                        for group in range {
                            let channels = (outChannels * group / groups)..<(outChannels * (group + 1) / groups)
                            let col = UnsafeMutablePointer<Float>.allocate(capacity: channels.count * taps * tileRows * tileWidth)
                            defer { col.deallocate() }
                            for rowStart in Swift.stride(from: 0, to: height, by: tileRows) {
                                for colStart in Swift.stride(from: 0, to: width, by: tileWidth) {
                                    let rows = rowStart..<min(height, rowStart + tileRows)
                                    let cols = colStart..<min(width, colStart + tileWidth)
                                    let n = rows.count * cols.count
                                    context.serialGemm(
                                        transposeA: true, m: channels.count * taps, n: n, k: inChannels,
                                        a: w.pointer + channels.lowerBound * taps, lda: outChannels * taps,
                                        b: x.pointer + rowStart * width + colStart, ldb: columns,
                                        c: col, ldc: n)
                                    for co in channels {
                                        for kh in 0..<kernel.height {
                                            for kw in 0..<kernel.width {
                                                let tap = ((co - channels.lowerBound) * kernel.height + kh) * kernel.width + kw
                                                let src = col + tap * n
                                                // Inputs whose tap lands inside the kept columns.
                                                let shift = kw - keptColumns.lowerBound
                                                let first = max(cols.lowerBound, ceilingDivision(-shift, stride.width))
                                                let last = min(cols.upperBound, ceilingDivision(outWidth - shift, stride.width))
                                                guard first < last else { continue }
                                                for (r, ih) in rows.enumerated() {
                                                    let row = ih * stride.height + kh - keptRows.lowerBound
                                                    guard row >= 0 && row < outHeight else { continue }
                                                    let orow = out.pointer + (co * outHeight + row) * outWidth + shift
                                                    let srow = src + r * cols.count - cols.lowerBound
                                                    if stride.width == 1 {
                                                        // Contiguous: the loop vectorises.
                                                        for iw in first..<last { orow[iw] += srow[iw] }
                                                    } else {
                                                        for iw in first..<last { orow[iw * stride.width] += srow[iw] }
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: shape, values: output)
    }

    /// Contribution-matrix elements per tile: 2 MB of floats.
    private static let tileBudget = 1 << 19
}

/// The size of tiles of at most `limit` items that split `count` items into a multiple
/// of `threads` tiles where there are enough items, so that no core idles at the end.
func balancedTile(_ count: Int, limit: Int, threads: Int) -> Int {
    let tiles = (count + limit - 1) / limit
    let balanced = min(count, (tiles + threads - 1) / threads * threads)
    return (count + balanced - 1) / balanced
}

/// `⌈a / b⌉` for `b > 0`, negative `a` included.
private func ceilingDivision(_ a: Int, _ b: Int) -> Int {
    a >= 0 ? (a + b - 1) / b : -(-a / b)
}

/// Fills the `inner` elements of channel `c` with `values[c]`, channels spread over the cores.
func fillChannels(_ x: UnsafeMutablePointer<Float>, with values: [Float], inner: Int, context: ComputeContext) {
    let x = SendablePointer(x)
    context.parallelFor(values.count, minimumChunk: max(1, (1 << 15) / max(inner, 1))) { channels in
        for c in channels { (x.pointer + c * inner).update(repeating: values[c], count: inner) }
    }
}
