import Foundation

/// The hyper-parameters of an HT Demucs model, named and defaulted as the keyword
/// arguments of demucs's `HTDemucs.__init__` (the `kwargs` a checkpoint stores).
public struct HTDemucsConfig: Sendable, Equatable {
    public var sources: [String]
    public var audioChannels = 2
    public var channels = 48
    public var channelsTime: Int? = nil
    public var growth = 2.0
    public var nfft = 4096
    public var cac = true
    public var depth = 4
    public var rewrite = true
    public var multiFreqs: [Double] = []
    public var freqEmb = 0.2
    public var embScale = 10.0
    public var kernelSize = 8
    public var timeStride = 2
    public var stride = 4
    public var context = 1
    public var contextEnc = 0
    public var normStarts = 4
    public var normGroups = 4
    public var dconvMode = 1
    public var dconvDepth = 2
    public var dconvCompress = 8.0
    public var bottomChannels = 0
    public var tLayers = 5
    public var tEmb = "sin"
    public var tHiddenScale = 4.0
    public var tHeads = 8
    public var tNormIn = true
    public var tNormInGroup = false
    public var tGroupNorm = false
    public var tNormFirst = true
    public var tNormOut = true
    public var tMaxPeriod = 10000.0
    public var tLayerScale = true
    public var tGELU = true
    public var tWeightPosEmbed = 1.0
    public var tSinRandomShift = 0
    public var tSparseSelfAttn = false
    public var tSparseCrossAttn = false
    public var tCrossFirst = false
    public var sampleRate = 44100
    /// The training segment in seconds, as the exact fraction demucs stores.
    public var segment = Segment(numerator: 10, denominator: 1)
    public var useTrainSegment = true
    public var wienerIters = 0

    /// A duration in seconds kept as a fraction (demucs stores `Fraction(39, 5)`), or a float.
    public struct Segment: Sendable, Equatable {
        public var numerator: Int
        public var denominator: Int
        /// The fraction in lowest terms, so that equal durations compare equal.
        public init(numerator: Int, denominator: Int) {
            var (a, b) = (numerator.magnitude, denominator.magnitude)
            while b != 0 { (a, b) = (b, a % b) }
            // Only `Int.min` has a magnitude above `Int.max`; validation refuses it anyway.
            let divisor = Int(clamping: max(a, 1))
            self.numerator = numerator / divisor
            self.denominator = denominator / divisor
        }
        /// A float number of seconds as a fraction; throws unless it is within
        /// `Limits.segmentSeconds` (so finite, and small enough for the conversion).
        public init(seconds: Double) throws {
            guard Limits.segmentSeconds.contains(seconds) else {
                throw DemucsError.invalidConfiguration(
                    key: "segment", reason: "\(seconds) s is outside \(Limits.segmentSeconds)")
            }
            // Floats in kwargs become a fraction over a large power of two, exact for binary floats.
            let denominator = 1 << 20
            self.init(numerator: Int((seconds * Double(denominator)).rounded()), denominator: denominator)
        }
        public var seconds: Double { Double(numerator) / Double(denominator) }
    }

    public init(sources: [String]) {
        self.sources = sources
    }

    /// `int(segment * samplerate)`: the samples the model is run on. Exact, through a
    /// double-width product; defined for a configuration that passes `validate()`.
    public var segmentLength: Int {
        segment.denominator.dividingFullWidth(segment.numerator.multipliedFullWidth(by: sampleRate)).quotient
    }

    /// Channels at the bottom of the encoders, where the transformer sits.
    var transformerChannels: Int {
        var c = channels
        for _ in 0..<(depth - 1) { c = Int(growth * Double(c)) }
        return c
    }

    /// The bounds `validate()` enforces on a configuration. Each admits every official HT
    /// Demucs model (htdemucs, htdemucs_6s, htdemucs_ft and the demo model; their values
    /// in parentheses) with a wide margin, and keeps a file written by a stranger from
    /// overflowing the engine's integer arithmetic or asking for absurd allocations.
    public enum Limits {
        /// `samplerate`: the rates audio uses (44 100).
        public static let sampleRate = 8_000...384_000
        /// `audio_channels` (2).
        public static let audioChannels = 1...8
        /// The number of `sources` (4 or 6).
        public static let sourceCount = 1...32
        /// Characters in a source name, which becomes part of output file names.
        public static let sourceNameLength = 1...64
        /// `channels` of the first layer (48).
        public static let channels = 1...1024
        /// `growth` of the channels from one layer to the next (2).
        public static let growth = 1.0...4.0
        /// `depth`: encoder and decoder layers per branch (4).
        public static let depth = 1...8
        /// `nfft`, a multiple of 4 (4096).
        public static let nfft = 16...32_768
        /// `kernel_size` (8).
        public static let kernelSize = 4...32
        /// `stride` (4).
        public static let stride = 1...16
        /// `context` of the decoders' rewrite convolutions (1).
        public static let context = 0...8
        /// `norm_starts` (4).
        public static let normStarts = 0...64
        /// `norm_groups`, which must also divide every normalised channel count (4).
        public static let normGroups = 1...64
        /// `dconv_mode` (1).
        public static let dconvMode = 0...3
        /// `dconv_depth` (2).
        public static let dconvDepth = 0...8
        /// `dconv_comp` (8 or 4).
        public static let dconvCompress = 1.0...1024.0
        /// `bottom_channels` (512, or 0: none).
        public static let bottomChannels = 0...4096
        /// `t_layers` (5).
        public static let transformerLayers = 0...32
        /// `t_hidden_scale` (4).
        public static let transformerHiddenScale = 0.0625...16.0
        /// `t_heads`, which must also divide the transformer's width (8).
        public static let transformerHeads = 1...64
        /// `t_max_period` (10 000).
        public static let transformerMaxPeriod = 1.0...1e9
        /// Magnitude of `freq_emb`, `emb_scale` and `t_weight_pos_embed` (0.2, 10, 1).
        public static let scale = -1e6...1e6
        /// `segment` in seconds (39/5 = 7.8; 3 for the demo model). The samples per segment
        /// must also cover `nfft` and survive every encoder's strided convolution.
        public static let segmentSeconds = 0.001...120.0
        /// An upper bound on the model's parameters, about 1 GiB of fp32 (htdemucs: 42 M).
        public static let parameters = 1 << 28
    }

    /// Throws unless the configuration is one Demixer can build and run: every value the
    /// engine uses within `Limits`, the architecture variant implemented, and the sources
    /// valid stem names (non-empty, unique, at most 64 ASCII letters, digits, `_` or `-`),
    /// since they become file names. Called before anything is allocated for the model.
    public func validate() throws {
        func invalid(_ key: String, _ reason: String) -> DemucsError { .invalidConfiguration(key: key, reason: reason) }
        func check<T: Comparable>(_ key: String, _ value: T, _ range: ClosedRange<T>) throws {
            guard range.contains(value) else { throw invalid(key, "\(value) is outside \(range)") }
        }
        func unsupported(_ what: String) -> DemucsError { .unsupportedConfiguration(what) }

        try check("sources", sources.count, Limits.sourceCount)
        for name in sources {
            let allowed = name.unicodeScalars.allSatisfy {
                $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "_" || $0 == "-")
            }
            guard allowed, Limits.sourceNameLength.contains(name.count) else {
                throw invalid("sources", "'\(name)' is not a stem name (1 to 64 ASCII letters, digits, '_' or '-')")
            }
        }
        if let repeated = sources.enumerated().first(where: { sources[..<$0.offset].contains($0.element) }) {
            throw invalid("sources", "'\(repeated.element)' appears twice")
        }
        try check("samplerate", sampleRate, Limits.sampleRate)
        try check("audio_channels", audioChannels, Limits.audioChannels)
        try check("channels", channels, Limits.channels)
        try check("growth", growth, Limits.growth)
        try check("depth", depth, Limits.depth)
        try check("nfft", nfft, Limits.nfft)
        if nfft % 4 != 0 { throw invalid("nfft", "\(nfft) is not a multiple of 4") }
        try check("kernel_size", kernelSize, Limits.kernelSize)
        try check("stride", stride, Limits.stride)
        try check("context", context, Limits.context)
        try check("norm_starts", normStarts, Limits.normStarts)
        try check("norm_groups", normGroups, Limits.normGroups)
        try check("dconv_mode", dconvMode, Limits.dconvMode)
        try check("dconv_depth", dconvDepth, Limits.dconvDepth)
        try check("dconv_comp", dconvCompress, Limits.dconvCompress)
        try check("bottom_channels", bottomChannels, Limits.bottomChannels)
        try check("t_layers", tLayers, Limits.transformerLayers)
        try check("t_hidden_scale", tHiddenScale, Limits.transformerHiddenScale)
        try check("t_heads", tHeads, Limits.transformerHeads)
        try check("t_max_period", tMaxPeriod, Limits.transformerMaxPeriod)
        try check("freq_emb", freqEmb, Limits.scale)
        try check("emb_scale", embScale, Limits.scale)
        try check("t_weight_pos_embed", tWeightPosEmbed, Limits.scale)
        guard segment.numerator > 0, segment.denominator > 0 else {
            throw invalid("segment", "\(segment.numerator)/\(segment.denominator) s is not positive")
        }
        try check("segment", segment.seconds, Limits.segmentSeconds)

        if !cac { throw unsupported("cac=False (masking/Wiener output)") }
        if !rewrite { throw unsupported("rewrite=False") }
        if !multiFreqs.isEmpty { throw unsupported("multi_freqs") }
        if contextEnc != 0 { throw unsupported("context_enc=\(contextEnc) (a wider encoder rewrite conv)") }
        if let channelsTime, channelsTime != channels { throw unsupported("channels_time different from channels") }
        if tLayers > 0 {
            if tEmb != "sin" { throw unsupported("t_emb=\(tEmb)") }
            if tSparseSelfAttn || tSparseCrossAttn { throw unsupported("sparse attention") }
            if !tNormFirst { throw unsupported("t_norm_first=False") }
            if tGroupNorm || (!tNormIn && tNormInGroup) { throw unsupported("group-norm transformer layers") }
            if tSinRandomShift != 0 { throw unsupported("t_sin_random_shift") }
        }
        var freqs = nfft / 2
        for _ in 0..<depth {
            if freqs <= kernelSize { throw unsupported("frequency axis collapsing inside the encoder (nfft \(nfft), depth \(depth))") }
            freqs /= stride
        }

        // The layers' channel counts, as `HTDemucs.init` walks them: norm groups must divide
        // each normalised count, and the parameters they imply stay within budget.
        if Int(Double(channels) / dconvCompress) < 1 {
            throw invalid("dconv_comp", "\(dconvCompress) leaves no channels of \(channels)")
        }
        var parameters = 0.0
        var (input, c) = (2 * audioChannels, channels)
        for index in 0..<depth {
            let output = index == 0 ? 2 * audioChannels * sources.count : input
            let normalised = [c, index == 0 ? output / 2 : output]
            if index >= normStarts, let count = normalised.first(where: { $0 % normGroups != 0 }) {
                throw invalid("norm_groups", "\(normGroups) groups do not divide \(count) channels")
            }
            let hidden = Double(Int(Double(c) / dconvCompress))
            let dconv = Double(dconvDepth) * (5 * hidden * Double(c) + 4 * Double(c))
            let rewrites = 2 * Double(c * c) * Double(1 + (1 + 2 * context) * (1 + 2 * context))
            let convolutions = Double(c) * Double(input + output) * Double(kernelSize)
            parameters += 2 * (rewrites + convolutions + 2 * dconv)
            (input, c) = (c, Int(growth * Double(c)))
        }
        if tLayers > 0 {
            let dim = bottomChannels > 0 ? bottomChannels : transformerChannels
            if dim % tHeads != 0 { throw invalid("t_heads", "\(dim) channels do not split into \(tHeads) heads") }
            if dim % 4 != 0 {
                throw invalid(
                    bottomChannels > 0 ? "bottom_channels" : "channels",
                    "the transformer's \(dim) channels are not a multiple of 4")
            }
            let hidden = Int(Double(dim) * tHiddenScale)
            if hidden < 1 { throw invalid("t_hidden_scale", "\(tHiddenScale) leaves no hidden units of \(dim)") }
            parameters += 4 * Double(dim) * Double(transformerChannels)
            parameters += 2 * Double(tLayers) * (4 * Double(dim * dim) + 2 * Double(dim * hidden) + 10 * Double(dim))
        }
        if parameters > Double(Limits.parameters) {
            throw invalid("channels", "the model would have about \(Int(parameters)) parameters, more than \(Limits.parameters)")
        }

        // The samples per segment must fill the STFT and survive every time encoder.
        let length = segmentLength
        var remaining = length
        for _ in 0..<depth where remaining >= 1 {
            let padded = (remaining + stride - 1) / stride * stride + 2 * (kernelSize / 4)
            remaining = padded < kernelSize ? 0 : (padded - kernelSize) / stride + 1
        }
        if length < nfft || remaining < 1 {
            throw invalid(
                "segment", "\(segment.numerator)/\(segment.denominator) s is \(length) samples, too short for the model's layers")
        }
    }
}
