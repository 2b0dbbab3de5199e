import Mixing

/// Everything the mixer screen shows, read from the player once per frame.
///
/// A plain value so that rendering is a pure function of it: the screen never reaches
/// into the player, and tests render fixed snapshots.
public struct PlayerSnapshot: Sendable, Equatable {
    public var fileName: String
    public var durationSeconds: Double
    /// The separation model, e.g. `htdemucs`.
    public var modelName: String
    public var sampleRate: Int
    public var positionSeconds: Double
    /// The separated parts of the track in seconds, ascending and disjoint: the playhead
    /// plays only inside them, and separation may fill them in any order.
    public var separatedRanges: [Range<Double>]
    /// Separation progress, 0…1.
    public var separationFraction: Double
    /// Separation speed as a multiple of real time (above 1 it stays ahead).
    public var separationSpeed: Double
    public var isSeparationDone: Bool
    public var isPlaying: Bool
    /// The playhead is waiting at the end of a separated range for the next part.
    public var isBuffering: Bool
    public var loopStart: Double?
    public var loopEnd: Double?
    /// Tempo and key of what is heard; positions stay in the song's own time.
    public var stretch: StretchSettings
    public var mix: MixState
    /// One reading per stem, then the master.
    public var meters: [MeterReading]
    /// The selected strip; `mix.strips.count` is the master.
    public var selectedStrip: Int
    /// A one-line notice or error, e.g. "No sound card: playing silently".
    public var statusMessage: String?
    /// The running export, if any.
    public var export: ExportStatus?
    public var deviceName: String
    /// How many times the sound card ran dry.
    public var underruns: Int
    /// Set by the controller once it has quit; the screen loop then returns.
    public var shouldQuit: Bool

    public init(
        fileName: String = "", durationSeconds: Double = 0, modelName: String = "",
        sampleRate: Int = 44_100, positionSeconds: Double = 0, separatedRanges: [Range<Double>] = [],
        separationFraction: Double = 0, separationSpeed: Double = 0,
        isSeparationDone: Bool = false, isPlaying: Bool = false, isBuffering: Bool = false,
        loopStart: Double? = nil, loopEnd: Double? = nil, stretch: StretchSettings = .original, mix: MixState,
        meters: [MeterReading] = [], selectedStrip: Int = 0, statusMessage: String? = nil,
        export: ExportStatus? = nil, deviceName: String = "", underruns: Int = 0,
        shouldQuit: Bool = false
    ) {
        self.fileName = fileName
        self.durationSeconds = durationSeconds
        self.modelName = modelName
        self.sampleRate = sampleRate
        self.positionSeconds = positionSeconds
        self.separatedRanges = separatedRanges
        self.separationFraction = separationFraction
        self.separationSpeed = separationSpeed
        self.isSeparationDone = isSeparationDone
        self.isPlaying = isPlaying
        self.isBuffering = isBuffering
        self.loopStart = loopStart
        self.loopEnd = loopEnd
        self.stretch = stretch
        self.mix = mix
        self.meters = meters
        self.selectedStrip = selectedStrip
        self.statusMessage = statusMessage
        self.export = export
        self.deviceName = deviceName
        self.underruns = underruns
        self.shouldQuit = shouldQuit
    }

    /// The index of the master strip.
    public var masterStrip: Int { mix.strips.count }

    /// Seconds separated from the playhead on, before the next part not separated yet.
    var separatedAheadSeconds: Double {
        separatedRanges.first { $0.contains(positionSeconds) }.map { $0.upperBound - positionSeconds } ?? 0
    }

    /// The meter for strip `index` (master included), silent when none was published.
    func meter(_ index: Int) -> MeterReading {
        meters.indices.contains(index) ? meters[index] : .silent
    }
}

/// A running export, as the status line shows it.
public struct ExportStatus: Sendable, Equatable {
    /// 0…1.
    public var progress: Double
    /// What is being written, e.g. "remix.flac".
    public var description: String

    public init(progress: Double, description: String) {
        self.progress = progress
        self.description = description
    }
}
