import Foundation

/// An NI Stems file (`.stem.mp4`, read by Traktor, Mixxx and others): a master mix and
/// four stems, each an AAC track of one MP4, named and coloured by the JSON manifest in
/// the `moov/udta/stem` box.
public struct StemsFile: Sendable {
    /// One stem track: its name and colour from the manifest, and its audio.
    public struct Stem: Sendable, Equatable {
        public var name: String
        /// `#RRGGBB`.
        public var color: String
        public var audio: AudioBuffer

        public init(name: String, color: String, audio: AudioBuffer) {
            self.name = name
            self.color = color
            self.audio = audio
        }
    }

    /// NI's four slots, in track order, with the colours of NI's Stem Creator.
    public static let slots: [(name: String, color: String)] = [
        ("drums", "#009E73"), ("bass", "#D55E00"), ("other", "#CC79A7"), ("vocals", "#56B4E9"),
    ]
    /// Every track is written at this rate, as NI Stems requires.
    public static let sampleRate = 44_100
    /// Every track's AAC bit rate.
    public static let bitRate = 256_000

    /// The mix an ordinary player plays (the first track, the only enabled one).
    public var master: AudioBuffer
    public var stems: [Stem]
    /// What the decoder repaired or dropped while reading, one sentence each.
    public var warnings: [String] = []

    /// - Precondition: the master and the stems have the same frame count.
    public init(master: AudioBuffer, stems: [Stem]) {
        precondition(stems.allSatisfy { $0.audio.frameCount == master.frameCount }, "stems differ in length from the master")
        self.master = master
        self.stems = stems
    }

    /// A model's stems in NI's four slots: drums, bass and vocals by name, and every other
    /// stem (a six-stem model's guitar and piano) summed into other; a slot the model lacks is silent.
    public init(master: AudioBuffer, separated: [(name: String, audio: AudioBuffer)]) {
        let stems = Self.slots.map { slot in
            let sources = separated.filter {
                slot.name == "other" ? !["drums", "bass", "vocals"].contains($0.name) : $0.name == slot.name
            }
            var channels = [[Float]](repeating: [Float](repeating: 0, count: master.frameCount), count: master.channelCount)
            for source in sources {
                let audio = source.audio.remixed(toChannelCount: master.channelCount)
                for c in channels.indices {
                    for i in channels[c].indices { channels[c][i] += audio.channels[c][i] }
                }
            }
            return Stem(name: slot.name, color: slot.color, audio: AudioBuffer(sampleRate: master.sampleRate, channels: channels))
        }
        self.init(master: master, stems: stems)
    }

    /// Whether `path` is an MP4 with a `stem` box, i.e. opens as stems rather than as a song.
    public static func isStemsFile(_ path: String) -> Bool {
        (try? MP4Boxes.stemManifest(at: path)) != nil
    }

    /// Reads the manifest and decodes the master and every stem in one pass through FFmpeg,
    /// at the file's rate, stereo.
    public static func read(_ path: String) throws(AudioIOError) -> StemsFile {
        guard let bytes = try MP4Boxes.stemManifest(at: path) else {
            throw AudioIOError(path: path, reason: .notStems("no stem box in moov/udta"))
        }
        let manifest: StemsManifest
        do {
            manifest = try JSONDecoder().decode(StemsManifest.self, from: Data(bytes))
        } catch {
            throw AudioIOError(path: path, reason: .notStems("its stem box is not NI's JSON manifest"))
        }
        guard !manifest.stems.isEmpty else { throw AudioIOError(path: path, reason: .notStems("the manifest names no stems")) }
        let input = try MediaInput(path: path)
        let streams = input.audioStreams
        guard streams.count > manifest.stems.count else {
            throw AudioIOError(
                path: path,
                reason: .notStems("\(streams.count) audio tracks for a master and \(manifest.stems.count) stems"))
        }
        let decoded = try input.decodeChecked(Array(streams.prefix(1 + manifest.stems.count)))
        let frames = decoded.map(\.audio.frameCount).min()!
        let rate = decoded[0].audio.sampleRate
        guard decoded.allSatisfy({ $0.audio.sampleRate == rate }) else {
            throw AudioIOError(path: path, reason: .notStems("its tracks differ in sample rate"))
        }
        let tracks = decoded.map {
            AudioBuffer(sampleRate: rate, channels: $0.audio.remixed(toChannelCount: 2).channels.map { Array($0.prefix(frames)) })
        }
        var file = StemsFile(
            master: tracks[0],
            stems: zip(manifest.stems, tracks.dropFirst()).map { Stem(name: $0.name, color: $0.color, audio: $1) })
        file.warnings = decoded.flatMap(\.warnings)
        return file
    }

    /// Writes the file atomically (a temporary file beside `path`, renamed into place):
    /// five AAC-LC tracks (``bitRate``, ``sampleRate``, stereo; the master the only enabled
    /// one), then the manifest box. `isCancelled` is asked between AAC frames; when it turns
    /// true the write stops with ``AudioIOError/Reason/cancelled`` and nothing is left behind.
    public func write(to path: String, isCancelled: () -> Bool = { false }) throws(AudioIOError) {
        try write(to: path, capacity: .max, isCancelled: isCancelled)
    }

    /// ``write(to:isCancelled:)`` onto a device with `capacity` bytes free.
    func write(to path: String, capacity: Int64, isCancelled: () -> Bool) throws(AudioIOError) {
        var tracks: [AudioBuffer] = []
        for buffer in [master] + stems.map(\.audio) {
            tracks.append(try Resampler.resample(buffer.remixed(toChannelCount: 2), to: Self.sampleRate))
        }
        let manifest = StemsManifest(stems: stems.map { .init(name: $0.name, color: $0.color) })
        try AtomicFile.write(to: path, capacity: capacity) { sink throws(AudioIOError) in
            let output = try MediaOutput(
                sink: sink, path: path, trackCount: tracks.count, defaultTrack: 0, sampleRate: Self.sampleRate,
                bitRate: Self.bitRate)
            try output.write(tracks, isCancelled: isCancelled)
            try Self.addManifest(manifest, to: sink, path: path)
        }
    }

    /// Rewrites the file's index (`moov`, which FFmpeg's muxer puts last) with the
    /// manifest box added; no sample data moves.
    private static func addManifest(_ manifest: StemsManifest, to sink: FileSink, path: String) throws(AudioIOError) {
        let json: Data
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            json = try encoder.encode(manifest)
        } catch {
            throw AudioIOError(path: path, reason: .writeFailed("encoding the stems manifest: \(error)"))
        }
        guard let movie = MP4Boxes.movie(in: sink.fd), movie.offset + Int64(movie.bytes.count) == sink.length(),
            let extended = MP4Boxes.addingStemBox(Array(json), toMovie: movie.bytes)
        else {
            throw AudioIOError(path: path, reason: .writeFailed("the MP4 index is not where FFmpeg's muxer puts it"))
        }
        guard sink.seek(movie.offset, SEEK_SET) == movie.offset,
            extended.withUnsafeBytes({ sink.writeBytes($0.baseAddress, Int64($0.count)) }) == Int64(extended.count)
        else {
            throw AudioIOError(path: path, reason: .writeFailed("writing the stems manifest"))
        }
    }
}

/// NI's JSON manifest of the `stem` box. Only the stems' names and colours are needed to
/// read one; Demixer writes the whole of it, with the mastering DSP switched off (its
/// master is the plain mix).
struct StemsManifest: Codable, Equatable {
    struct Stem: Codable, Equatable {
        var name: String
        var color: String
    }

    struct MasteringDSP: Codable, Equatable {
        struct Compressor: Codable, Equatable {
            var enabled = false
            var inputGain = 0.5
            var outputGain = 0.5
            var threshold = 0.0
            var dryWet = 50.0
            var attack = 0.003
            var release = 0.3
            var ratio = 3.0
            var hpCutoff = 300.0

            enum CodingKeys: String, CodingKey {
                case enabled, threshold, attack, release, ratio
                case inputGain = "input_gain", outputGain = "output_gain", dryWet = "dry_wet", hpCutoff = "hp_cutoff"
            }
        }

        struct Limiter: Codable, Equatable {
            var enabled = false
            var threshold = 0.0
            var ceiling = -0.35
            var release = 0.05
        }

        var compressor = Compressor()
        var limiter = Limiter()
    }

    var version: Int? = 1
    var stems: [Stem]
    var masteringDSP: MasteringDSP? = MasteringDSP()

    enum CodingKeys: String, CodingKey {
        case version, stems
        case masteringDSP = "mastering_dsp"
    }
}
