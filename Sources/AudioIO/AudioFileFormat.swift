import CSndfile

/// The formats Demixer writes stems in.
public enum AudioFileFormat: String, Sendable, CaseIterable {
    case wav16, wav24, wavFloat32, flac16, flac24
    /// MPEG-1 Layer III, 320 kbit/s constant bit rate. Needs libsndfile ≥ 1.1
    /// built with LAME and mpg123; checked when writing.
    case mp3

    /// The usual file-name extension, without the dot.
    public var fileExtension: String {
        switch self {
        case .wav16, .wav24, .wavFloat32: "wav"
        case .flac16, .flac24: "flac"
        case .mp3: "mp3"
        }
    }

    /// A name for messages, e.g. "FLAC 24-bit".
    public var displayName: String {
        switch self {
        case .wav16: "WAV 16-bit"
        case .wav24: "WAV 24-bit"
        case .wavFloat32: "WAV 32-bit float"
        case .flac16: "FLAC 16-bit"
        case .flac24: "FLAC 24-bit"
        case .mp3: "MP3"
        }
    }

    /// The libsndfile `SF_FORMAT_*` major | minor code.
    var sndfileFormat: Int32 {
        let code = switch self {
        case .wav16: SF_FORMAT_WAV | SF_FORMAT_PCM_16
        case .wav24: SF_FORMAT_WAV | SF_FORMAT_PCM_24
        case .wavFloat32: SF_FORMAT_WAV | SF_FORMAT_FLOAT
        case .flac16: SF_FORMAT_FLAC | SF_FORMAT_PCM_16
        case .flac24: SF_FORMAT_FLAC | SF_FORMAT_PCM_24
        case .mp3: SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III
        }
        return Int32(code)
    }

    /// Integer sample formats, which libsndfile must saturate rather than wrap.
    var isInteger: Bool { self != .wavFloat32 && self != .mp3 }

    /// The kinds of file Demixer writes; the raw value is the file-name extension.
    public enum Container: String, Sendable, CaseIterable {
        case wav, flac, mp3
    }

    /// How samples are stored in WAV or FLAC; the raw value is the `--bits` spelling.
    public enum SampleType: String, Sendable, CaseIterable {
        case int16 = "16", int24 = "24", float32 = "32f"

        /// A name for messages, e.g. "32-bit float".
        public var displayName: String {
            switch self {
            case .int16: "16-bit"
            case .int24: "24-bit"
            case .float32: "32-bit float"
            }
        }
    }

    /// The container this format writes.
    public var container: Container { Container(rawValue: fileExtension)! }

    /// The format for `container` with samples stored as `type` (nil: 16-bit for WAV
    /// and FLAC, the only choice for MP3). A pure check, so that a combination such as
    /// FLAC with 32-bit float is refused before any work is done.
    public init(_ container: Container, type: SampleType?) throws(AudioIOError) {
        switch (container, type) {
        case (.wav, nil), (.wav, .int16?): self = .wav16
        case (.wav, .int24?): self = .wav24
        case (.wav, .float32?): self = .wavFloat32
        case (.flac, nil), (.flac, .int16?): self = .flac16
        case (.flac, .int24?): self = .flac24
        case (.mp3, nil): self = .mp3
        case (_, let type?): throw AudioIOError(path: nil, reason: .unsupportedSampleType(container, type))
        }
    }

    /// The container `path`'s extension names (case-insensitive), or an error naming
    /// the supported extensions: `m.ogg` must not receive WAV data under its name.
    public static func container(forPath path: String) throws(AudioIOError) -> Container {
        let name = path.split(separator: "/").last ?? ""
        let ext = name.dropFirst().lastIndex(of: ".").map { String(name[name.index(after: $0)...]) } ?? ""
        guard let container = Container(rawValue: ext.lowercased()) else {
            throw AudioIOError(path: path, reason: .unknownExtension(ext))
        }
        return container
    }

    /// The format for an output file at `path`: the container its extension names,
    /// which must agree with `container` when one was chosen, with samples as `type`.
    /// For `path` nil (names made later from a template) only the choice is checked,
    /// WAV by default. Call it before separating, so that a bad combination costs nothing.
    public static func forOutput(
        path: String?, container: Container?, type: SampleType?
    ) throws(AudioIOError) -> AudioFileFormat {
        var chosen = container ?? .wav
        if let path {
            let named = try self.container(forPath: path)
            if let container, container != named {
                throw AudioIOError(path: path, reason: .extensionMismatch(extension: named.rawValue, chosen: container))
            }
            chosen = named
        }
        do {
            return try AudioFileFormat(chosen, type: type)
        } catch {
            throw AudioIOError(path: path, reason: error.reason)
        }
    }
}

/// How to treat samples beyond ±1 before writing, as demucs's `--clip-mode`.
public enum ClipMode: String, Sendable, CaseIterable {
    /// Scale all stems down by one shared factor so that none clips (with 1% headroom).
    case rescale
    /// Clamp each sample to [-1, 1].
    case clamp
    /// Leave samples as they are. Float WAV keeps them; integer formats saturate.
    case none

    /// Applies the mode to stems that belong together; `rescale` computes one gain
    /// from the peak of all of them, so their sum still equals the rescaled mix.
    /// The same as ``gain(forPeak:)`` of the largest ``peak(of:)``, then
    /// ``apply(_:gain:)`` on each buffer.
    public func apply(to buffers: [AudioBuffer]) -> [AudioBuffer] {
        // Only rescale needs the peak.
        let peak = self == .rescale ? buffers.map(Self.peak).max() ?? 0 : 0
        let gain = gain(forPeak: peak)
        return buffers.map { apply($0, gain: gain) }
    }

    /// The largest absolute sample of `buffer` (0 for silence; NaN is passed over).
    /// A streaming writer takes the largest over every block of every stem as the peak
    /// for ``gain(forPeak:)``: the order of the blocks does not change it.
    public static func peak(of buffer: AudioBuffer) -> Float {
        var peak: Float = 0
        for channel in buffer.channels {
            channel.withUnsafeBufferPointer { samples in
                for sample in samples { peak = max(peak, abs(sample)) }
            }
        }
        return peak
    }

    /// The one gain `rescale` applies to stems whose joint peak is `peak`: enough that
    /// none clips, with 1% headroom, and never above 1. 1 for the other modes.
    public func gain(forPeak peak: Float) -> Float {
        self == .rescale ? 1 / max(1.01 * peak, 1) : 1
    }

    /// Applies the mode to one block with the gain found beforehand (``gain(forPeak:)``),
    /// so that a track written block by block comes out as ``apply(to:)`` would make it.
    public func apply(_ block: AudioBuffer, gain: Float) -> AudioBuffer {
        switch self {
        case .none:
            return block
        case .rescale:
            guard gain < 1 else { return block }
            return Self.map(block) { $0 * gain }
        case .clamp:
            return Self.map(block) { min(max($0, -1), 1) }
        }
    }

    private static func map(_ buffer: AudioBuffer, _ transform: (Float) -> Float) -> AudioBuffer {
        var buffer = buffer
        for c in buffer.channels.indices {
            buffer.channels[c].withUnsafeMutableBufferPointer { samples in
                for i in samples.indices { samples[i] = transform(samples[i]) }
            }
        }
        return buffer
    }
}
