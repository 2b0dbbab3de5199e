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
            var (a, b) = (abs(numerator), abs(denominator))
            while b != 0 { (a, b) = (b, a % b) }
            let divisor = max(a, 1)
            self.numerator = numerator / divisor
            self.denominator = denominator / divisor
        }
        public init(seconds: Double) {
            // Floats in kwargs become a fraction over a large power of two, exact for binary floats.
            let denominator = 1 << 20
            self.init(numerator: Int((seconds * Double(denominator)).rounded()), denominator: denominator)
        }
        public var seconds: Double { Double(numerator) / Double(denominator) }
    }

    public init(sources: [String]) {
        self.sources = sources
    }

    /// `int(segment * samplerate)`: the samples the model is run on.
    public var segmentLength: Int {
        (segment.numerator * sampleRate) / segment.denominator
    }

    /// Channels at the bottom of the encoders, where the transformer sits.
    var transformerChannels: Int {
        var c = channels
        for _ in 0..<(depth - 1) { c = Int(growth * Double(c)) }
        return c
    }

    /// Throws for the variants of the architecture that no official model uses and that
    /// Demixer therefore does not implement.
    func validate() throws {
        func unsupported(_ what: String) -> DemucsError { .unsupportedConfiguration(what) }
        if sources.isEmpty { throw DemucsError.invalidConfiguration(key: "sources", reason: "no sources") }
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
            let dim = bottomChannels > 0 ? bottomChannels : transformerChannels
            if dim % tHeads != 0 || dim % 4 != 0 {
                throw DemucsError.invalidConfiguration(key: "t_heads", reason: "\(dim) channels do not split into \(tHeads) heads")
            }
        }
        if nfft % 4 != 0 || nfft < 16 { throw DemucsError.invalidConfiguration(key: "nfft", reason: "\(nfft)") }
        if depth < 1 || audioChannels < 1 || channels < 1 || kernelSize < 4 || stride < 1 {
            throw DemucsError.invalidConfiguration(key: "depth/channels/kernel_size", reason: "out of range")
        }
        var freqs = nfft / 2
        for _ in 0..<depth {
            if freqs <= kernelSize { throw unsupported("frequency axis collapsing inside the encoder (nfft \(nfft), depth \(depth))") }
            freqs /= stride
        }
        if segmentLength <= 0 { throw DemucsError.invalidConfiguration(key: "segment", reason: "not positive") }
    }
}
