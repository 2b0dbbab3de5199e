/// Hybrid Transformer Demucs: a spectral U-Net and a waveform U-Net joined by a
/// cross-domain transformer, whose outputs are summed.
///
/// Built from a configuration and a table of tensors named as in the PyTorch state dict;
/// `separate(segment:)` is the model's `forward` for one stereo segment.
public struct HTDemucs: Sendable {
    public let config: HTDemucsConfig
    let encoder: [EncoderLayer]
    let timeEncoder: [EncoderLayer]
    let decoder: [DecoderLayer]
    let timeDecoder: [DecoderLayer]
    /// `[frequencies, channels]`, already multiplied by the embedding's scale.
    let frequencyEmbedding: Tensor?
    let upsampler: (spectral: Conv2d, temporal: Conv2d)?
    let downsampler: (spectral: Conv2d, temporal: Conv2d)?
    let transformer: CrossTransformer?

    /// Builds the model described by `config` from `tensors`, checking that every tensor
    /// the architecture needs is present with its shape and that none is left over.
    public init(config: HTDemucsConfig, tensors: [String: Tensor]) throws {
        try self.init(config: config, reader: ParameterReader(tensors: tensors))
    }

    /// A model of `config` with deterministic random weights, for benchmarks where no
    /// checkpoint is installed (speed hardly depends on the weights).
    public init(config: HTDemucsConfig, randomSeed: UInt64) throws {
        try self.init(config: config, reader: ParameterReader(randomSeed: randomSeed))
    }

    private init(config: HTDemucsConfig, reader p: ParameterReader) throws {
        try config.validate()
        self.config = config
        let sourceCount = config.sources.count
        var chin = config.audioChannels
        var chinZ = 2 * chin
        var chout = config.channels
        var choutZ = config.channels
        var freqs = config.nfft / 2
        var encoder: [EncoderLayer] = []
        var timeEncoder: [EncoderLayer] = []
        var decoder: [DecoderLayer] = []
        var timeDecoder: [DecoderLayer] = []
        var embedding: Tensor?
        for index in 0..<config.depth {
            encoder.append(
                EncoderLayer(
                    p, "encoder.\(index)", axis: .frequency, inChannels: chinZ, outChannels: choutZ, index: index,
                    config: config))
            timeEncoder.append(
                EncoderLayer(
                    p, "tencoder.\(index)", axis: .time, inChannels: chin, outChannels: chout, index: index,
                    config: config))
            if index == 0 {
                chin = config.audioChannels * sourceCount
                chinZ = 2 * chin
            }
            let position = config.depth - 1 - index
            decoder.insert(
                DecoderLayer(
                    p, "decoder.\(position)", axis: .frequency, inChannels: choutZ, outChannels: chinZ, index: index,
                    config: config), at: 0)
            timeDecoder.insert(
                DecoderLayer(
                    p, "tdecoder.\(position)", axis: .time, inChannels: chout, outChannels: chin, index: index,
                    config: config), at: 0)
            chin = chout
            chinZ = choutZ
            chout = Int(config.growth * Double(chout))
            choutZ = Int(config.growth * Double(choutZ))
            freqs /= config.stride
            if index == 0 && config.freqEmb != 0 {
                var table = p.tensor("freq_emb.embedding.weight", [freqs, chinZ])
                let scale = Float(config.embScale * config.freqEmb)
                table.values = table.values.map { $0 * scale }
                embedding = table
            }
        }
        self.encoder = encoder
        self.timeEncoder = timeEncoder
        self.decoder = decoder
        self.timeDecoder = timeDecoder
        self.frequencyEmbedding = embedding

        var dim = config.transformerChannels
        if config.bottomChannels > 0 {
            let bottom = config.bottomChannels
            func pointwise(_ name: String, _ from: Int, _ to: Int) -> Conv2d {
                Conv2d(weight: p.tensor("\(name).weight", [to, from, 1]), bias: p.tensor("\(name).bias", [to]))
            }
            upsampler = (pointwise("channel_upsampler", dim, bottom), pointwise("channel_upsampler_t", dim, bottom))
            downsampler = (
                pointwise("channel_downsampler", bottom, dim), pointwise("channel_downsampler_t", bottom, dim)
            )
            dim = bottom
        } else {
            upsampler = nil
            downsampler = nil
        }
        transformer = config.tLayers > 0 ? CrossTransformer(p, config: config, dim: dim) : nil
        try p.finish(model: "HTDemucs")
    }

    /// The number of stems the model writes.
    public var sourceCount: Int { config.sources.count }

    /// Separates one segment: `[audioChannels, length]` → `[sources, audioChannels, length]`.
    ///
    /// Shorter segments are zero-padded to the training length and cropped back, as demucs
    /// does. `trace`, when given, receives every intermediate by name, for bisecting a
    /// divergence from the reference layer by layer. `context` sets the threads and
    /// collects the counts and stage times. `checkpoint` runs between layers; what it
    /// throws ends the segment there (a cancelled job, a listener who moved elsewhere).
    public func separate(
        segment mix: Tensor, context: ComputeContext = ComputeContext(), trace: ((String, Tensor) -> Void)? = nil,
        checkpoint: () throws -> Void = {}
    ) throws -> Tensor {
        guard mix.shape.count == 2, mix.shape[0] == config.audioChannels else {
            throw DemucsError.wrongChannelCount(expected: config.audioChannels, got: mix.shape.first ?? 0)
        }
        let originalLength = mix.shape[1]
        var input = mix
        if config.useTrainSegment && originalLength < config.segmentLength {
            input = padTime(mix, right: config.segmentLength - originalLength)
        }
        let length = input.shape[1]
        let spectrogram = Spectrogram(fftSize: config.nfft)

        var x = context.timed("stft") { spectrogram.forward(input) }
        trace?("spec", x)
        var xt = input
        let (spectralStats, temporalStats) = context.timed("stft") { (normalize(&x), normalize(&xt)) }
        trace?("encoder.0.in", x)
        trace?("tencoder.0.in", xt)

        var skips: [Tensor] = []
        var timeSkips: [Tensor] = []
        var timeLengths: [Int] = []
        for index in 0..<config.depth {
            timeLengths.append(xt.shape[1])
            xt = context.timed("encoder") { timeEncoder[index](xt, context: context) }
            timeSkips.append(xt)
            trace?("tencoder.\(index).out", xt)
            x = context.timed("encoder") { encoder[index](x, context: context) }
            trace?("encoder.\(index).out", x)
            if index == 0, let frequencyEmbedding {
                addFrequencyEmbedding(frequencyEmbedding, to: &x)
                trace?("freq_emb.added", x)
            }
            skips.append(x)
            try checkpoint()
        }

        if let transformer {
            if let upsampler {
                (x, xt) = context.timed("transformer") { (upsampler.spectral(x, context: context), upsampler.temporal(xt, context: context)) }
                trace?("channel_upsampler.out", x)
                trace?("channel_upsampler_t.out", xt)
            }
            (x, xt) = try context.timed("transformer") {
                try transformer(spectral: x, temporal: xt, context: context, checkpoint: checkpoint)
            }
            trace?("crosstransformer.out0", x)
            trace?("crosstransformer.out1", xt)
            if let downsampler {
                (x, xt) = context.timed("transformer") { (downsampler.spectral(x, context: context), downsampler.temporal(xt, context: context)) }
                trace?("channel_downsampler.out", x)
                trace?("channel_downsampler_t.out", xt)
            }
        }

        for index in 0..<config.depth {
            context.timed("decoder") { decoder[index].apply(to: &x, skip: skips.removeLast(), length: 0, context: context) }
            trace?("decoder.\(index).out0", x)
            context.timed("decoder") {
                timeDecoder[index].apply(to: &xt, skip: timeSkips.removeLast(), length: timeLengths.removeLast(), context: context)
            }
            trace?("tdecoder.\(index).out0", xt)
            try checkpoint()
        }

        return context.timed("istft") {
            denormalize(&x, spectralStats, context: context)
            denormalize(&xt, temporalStats, context: context)
            let (spectral, temporal) = (x, xt)
            let (channels, sources, fftSize) = (config.audioChannels, sourceCount, config.nfft)
            let bins = spectrogram.bins
            let sourceSpectrum = 2 * channels * bins * spectral.shape[2]
            let out = [Float](unsafeUninitializedCapacity: sources * channels * originalLength) { out, initialized in
                let o = SendablePointer(out.baseAddress!)
                // Sources spread over the cores, each with its own FFTW buffers.
                context.parallelFor(sources, minimumChunk: 1) { range in
                    let spectrogram = Spectrogram(fftSize: fftSize)
                    for s in range {
                        let spectrum = Tensor(
                            shape: [2 * channels, bins, spectral.shape[2]],
                            values: Array(spectral.values[(s * sourceSpectrum)..<((s + 1) * sourceSpectrum)]))
                        let wave = spectrogram.inverse(spectrum, length: length)
                        for c in 0..<channels {
                            let row = s * channels + c
                            for i in 0..<originalLength {
                                o.pointer[row * originalLength + i] =
                                    wave.values[c * length + i] + temporal.values[row * length + i]
                            }
                        }
                    }
                }
                initialized = sources * channels * originalLength
            }
            return Tensor(shape: [sourceCount, channels, originalLength], values: out)
        }
    }

    private func addFrequencyEmbedding(_ table: Tensor, to x: inout Tensor) {
        let (channels, freqs, frames) = (x.shape[0], x.shape[1], x.shape[2])
        x.values.withUnsafeMutableBufferPointer { v in
            for c in 0..<channels {
                for f in 0..<freqs {
                    let e = table.values[f * channels + c]
                    let base = (c * freqs + f) * frames
                    for t in 0..<frames { v[base + t] += e }
                }
            }
        }
    }
}

/// Normalises `x` to zero mean and unit (unbiased) standard deviation over all its
/// elements, as HT Demucs does to each branch's input; returns the statistics.
private func normalize(_ x: inout Tensor) -> (mean: Float, std: Float) {
    let n = Double(x.count)
    var sum = 0.0
    for v in x.values { sum += Double(v) }
    let mean = sum / n
    var squares = 0.0
    for v in x.values { squares += (Double(v) - mean) * (Double(v) - mean) }
    let std = (squares / (n - 1)).squareRoot()
    let m = Float(mean)
    let inv = Float(1 / (1e-5 + std))
    x.values.withUnsafeMutableBufferPointer { v in
        for i in v.indices { v[i] = (v[i] - m) * inv }
    }
    return (m, Float(std))
}

private func denormalize(_ x: inout Tensor, _ stats: (mean: Float, std: Float), context: ComputeContext) {
    let count = x.count
    x.values.withUnsafeMutableBufferPointer { v in
        let v = SendablePointer(v.baseAddress!)
        context.parallelFor(count, minimumChunk: 1 << 16) { range in
            for i in range { v.pointer[i] = v.pointer[i] * stats.std + stats.mean }
        }
    }
}
