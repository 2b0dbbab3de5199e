import Foundation
import ModelFiles

extension HTDemucsConfig {
    /// Keyword arguments of `HTDemucs.__init__` that only matter for training or for
    /// variants with no effect at inference; accepted and ignored.
    static let trainingOnlyKeys: Set<String> = [
        "t_dropout", "t_weight_decay", "t_lr", "rescale", "emb_smooth", "dconv_init", "wiener_residual",
        "end_iters", "t_max_positions", "t_cape_mean_normalize", "t_cape_augment", "t_cape_glob_loc_scale",
        "t_mask_type", "t_mask_random_seed", "t_sparse_attn_window", "t_global_window", "t_sparsity",
        "t_auto_sparsity", "multi_freqs_depth",
    ]

    /// Reads the `kwargs` a demucs checkpoint stores for `HTDemucs`. Unknown keys are an
    /// error, so a checkpoint of a different or newer model is not silently misread.
    public init(kwargs: [String: PickleValue]) throws {
        guard let sources = kwargs["sources"]?.elements?.compactMap(\.stringValue), !sources.isEmpty else {
            throw DemucsError.invalidConfiguration(key: "sources", reason: "missing or not a list of names")
        }
        self.init(sources: sources)
        for (key, value) in kwargs.sorted(by: { $0.key < $1.key }) where key != "sources" {
            try set(key, value)
        }
    }

    private mutating func set(_ key: String, _ value: PickleValue) throws {
        func int() throws -> Int {
            guard let v = value.intValue else { throw DemucsError.invalidConfiguration(key: key, reason: "expected an integer") }
            return v
        }
        func double() throws -> Double {
            guard let v = value.doubleValue else { throw DemucsError.invalidConfiguration(key: key, reason: "expected a number") }
            return v
        }
        func bool() throws -> Bool {
            if let b = value.boolValue { return b }
            if let i = value.intValue { return i != 0 }
            throw DemucsError.invalidConfiguration(key: key, reason: "expected a boolean")
        }
        switch key {
        case "audio_channels": audioChannels = try int()
        case "channels": channels = try int()
        case "channels_time": channelsTime = value == .none ? nil : try int()
        case "growth": growth = try double()
        case "nfft": nfft = try int()
        case "wiener_iters": wienerIters = try int()
        case "cac": cac = try bool()
        case "depth": depth = try int()
        case "rewrite": rewrite = try bool()
        case "multi_freqs": multiFreqs = value == .none ? [] : try (value.elements ?? []).map {
            guard let v = $0.doubleValue else { throw DemucsError.invalidConfiguration(key: key, reason: "expected numbers") }
            return v
        }
        case "freq_emb": freqEmb = try double()
        case "emb_scale": embScale = try double()
        case "kernel_size": kernelSize = try int()
        case "time_stride": timeStride = try int()
        case "stride": stride = try int()
        case "context": context = try int()
        case "context_enc": contextEnc = try int()
        case "norm_starts": normStarts = try int()
        case "norm_groups": normGroups = try int()
        case "dconv_mode": dconvMode = try int()
        case "dconv_depth": dconvDepth = try int()
        case "dconv_comp": dconvCompress = try double()
        case "bottom_channels": bottomChannels = try int()
        case "t_layers": tLayers = try int()
        case "t_emb": tEmb = value.stringValue ?? ""
        case "t_hidden_scale": tHiddenScale = try double()
        case "t_heads": tHeads = try int()
        case "t_norm_in": tNormIn = try bool()
        case "t_norm_in_group": tNormInGroup = try bool()
        case "t_group_norm": tGroupNorm = try bool()
        case "t_norm_first": tNormFirst = try bool()
        case "t_norm_out": tNormOut = try bool()
        case "t_max_period": tMaxPeriod = try double()
        case "t_layer_scale": tLayerScale = try bool()
        case "t_gelu": tGELU = try bool()
        case "t_weight_pos_embed": tWeightPosEmbed = try double()
        case "t_sin_random_shift": tSinRandomShift = try int()
        case "t_sparse_self_attn": tSparseSelfAttn = try bool()
        case "t_sparse_cross_attn": tSparseCrossAttn = try bool()
        case "t_cross_first": tCrossFirst = try bool()
        case "samplerate": sampleRate = try int()
        case "use_train_segment": useTrainSegment = try bool()
        case "segment":
            switch value {
            case .fraction(let n, let d): segment = Segment(numerator: n, denominator: d)
            case .int(let n): segment = Segment(numerator: n, denominator: 1)
            default: segment = try Segment(seconds: double())
            }
        default:
            if !Self.trainingOnlyKeys.contains(key) {
                throw DemucsError.invalidConfiguration(key: key, reason: "not an HTDemucs argument Demixer knows")
            }
        }
    }
}

extension HTDemucs {
    /// The class a demucs checkpoint must name for this architecture.
    static let checkpointClass = "demucs.htdemucs.HTDemucs"

    /// Loads a model file: a `.th` as demucs publishes it (`torch.save` zip holding klass,
    /// args, kwargs and an fp16 state), verifying the sha256 prefix its name carries, if
    /// any; or a `.safetensors` conversion with the same tensor names.
    public static func load(contentsOf url: URL) throws -> HTDemucs {
        if url.pathExtension == "safetensors" {
            let file = try SafetensorsFile.load(contentsOf: url)
            let tensors = file.tensors.mapValues { Tensor(shape: $0.shape, values: $0.values) }
            let config = try HTDemucsConfig(inferredFrom: tensors, metadata: file.metadata)
            return try HTDemucs(config: config, tensors: tensors)
        }
        let checkpoint = try TorchCheckpoint.load(contentsOf: url)
        guard checkpoint.klass == checkpointClass else {
            throw DemucsError.unsupportedConfiguration(
                "\(url.lastPathComponent) holds a '\(checkpoint.klass.isEmpty ? "bare state dict" : checkpoint.klass)'"
                    + " model; Demixer runs \(checkpointClass) checkpoints")
        }
        let config = try HTDemucsConfig(kwargs: checkpoint.kwargs)
        return try HTDemucs(config: config, tensors: checkpoint.state.mapValues { Tensor(shape: $0.shape, values: $0.values) })
    }
}

extension HTDemucsConfig {
    /// The configuration of an official-architecture model (`htdemucs`, `htdemucs_6s`,
    /// one of `htdemucs_ft`) whose file carries tensors but no kwargs, as safetensors
    /// conversions do: sizes come from the tensor shapes, the rest from the official
    /// defaults, and `metadata` may override `sources` (comma-separated), `segment`
    /// (seconds) and `t_heads`.
    public init(inferredFrom tensors: [String: Tensor], metadata: [String: String]) throws {
        /// The shape of tensor `name`, which must have `rank` dimensions, or `nil` if absent.
        func shape(_ name: String, rank: Int) throws -> [Int]? {
            guard let t = tensors[name] else { return nil }
            guard t.shape.count == rank else {
                throw DemucsError.incompatibleWeights(
                    model: "HTDemucs", problems: ["tensor '\(name)' has shape \(t.shape); expected \(rank) dimensions"])
            }
            return t.shape
        }
        func required(_ name: String, rank: Int) throws -> [Int] {
            guard let s = try shape(name, rank: rank) else {
                throw DemucsError.incompatibleWeights(model: "HTDemucs", problems: ["missing tensor '\(name)'"])
            }
            return s
        }
        func count(_ prefix: String) -> Int {
            var n = 0
            while tensors.keys.contains(where: { $0.hasPrefix("\(prefix).\(n).") }) { n += 1 }
            return n
        }
        let depth = count("encoder")
        let lastDecoder = "decoder.\(max(depth - 1, 0)).conv_tr.weight"
        let sourceCount = try required(lastDecoder, rank: 4)[1] / 4
        guard Limits.sourceCount.contains(sourceCount) else {
            throw DemucsError.invalidConfiguration(
                key: "sources", reason: "'\(lastDecoder)' implies \(sourceCount), outside \(Limits.sourceCount)")
        }
        let standard = ["drums", "bass", "other", "vocals"] + (sourceCount == 6 ? ["guitar", "piano"] : [])
        var sources = standard.count == sourceCount ? standard : (0..<sourceCount).map { "source\($0)" }
        if let names = metadata["sources"] {
            // Empty names are kept, so that validation refuses them rather than dropping a stem.
            sources = names.split(separator: ",", omittingEmptySubsequences: false).map {
                String($0).trimmingCharacters(in: .whitespaces)
            }
        }
        self.init(sources: sources)
        self.depth = depth
        channels = try required("encoder.0.conv.weight", rank: 4)[0]
        bottomChannels = try shape("channel_upsampler.weight", rank: 3)?[0] ?? 0
        tLayers = count("crosstransformer.layers")
        if depth > 1 { growth = Double(try required("encoder.1.conv.weight", rank: 4)[0]) / Double(channels) }
        normStarts = (0..<depth).first { tensors["encoder.\($0).norm1.weight"] != nil } ?? depth
        if tLayers > 0 {
            let linear = try required("crosstransformer.layers.0.linear1.weight", rank: 2)
            tHiddenScale = Double(linear[0]) / Double(linear[1])
        }
        let encoderDConv = "encoder.0.dconv.layers"
        let decoderDConv = "decoder.\(depth - 1).dconv.layers"
        for prefix in [encoderDConv, decoderDConv] {
            guard let dconv = try shape("\(prefix).0.0.weight", rank: 3) else { continue }
            dconvCompress = Double(dconv[1]) / Double(dconv[0])
            dconvDepth = count(prefix)
            break
        }
        let hasEncoderDConv = tensors.keys.contains { $0.hasPrefix("encoder.0.dconv.") }
        let hasDecoderDConv = tensors.keys.contains { $0.hasPrefix("decoder.0.dconv.") }
        dconvMode = (hasEncoderDConv ? 1 : 0) | (hasDecoderDConv ? 2 : 0)
        segment = Segment(numerator: 39, denominator: 5)
        if let seconds = metadata["segment"] {
            guard let value = Double(seconds) else {
                throw DemucsError.invalidConfiguration(key: "segment", reason: "'\(seconds)' is not a number")
            }
            segment = try Segment(seconds: value)
        }
        if let heads = metadata["t_heads"] {
            guard let value = Int(heads) else {
                throw DemucsError.invalidConfiguration(key: "t_heads", reason: "'\(heads)' is not an integer")
            }
            tHeads = value
        }
    }
}
