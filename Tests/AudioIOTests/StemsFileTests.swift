import Foundation
import Testing
@testable import AudioIO

@Suite("NI Stems files")
struct StemsFileTests {
    /// Four stems of distinct tones, two seconds at 44.1 kHz, and their sum as the master.
    static let stems: [StemsFile.Stem] = zip(StemsFile.slots, [110.0, 220.0, 660.0, 1320.0]).map { slot, tone in
        StemsFile.Stem(
            name: slot.name, color: slot.color, audio: sine(frequency: tone, amplitude: 0.2, sampleRate: 44_100, frames: 88_200))
    }
    static let master = AudioBuffer(
        sampleRate: 44_100,
        channels: (0..<2).map { c in (0..<88_200).map { i in stems.reduce(0) { $0 + $1.audio.channels[c][i] } } })

    @Test("A written file reads back: names, colours, 44.1 kHz stereo, every track within AAC's error (SNR ≥ 20 dB)")
    func roundTrip() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("song.stem.mp4")
        try StemsFile(master: Self.master, stems: Self.stems).write(to: path)

        let read = try StemsFile.read(path)

        #expect(read.warnings.isEmpty)
        #expect(read.stems.map(\.name) == ["drums", "bass", "other", "vocals"])
        #expect(read.stems.map(\.color) == StemsFile.slots.map(\.color))
        #expect(read.master.sampleRate == 44_100 && read.master.channelCount == 2)
        #expect(abs(read.master.frameCount - Self.master.frameCount) <= 1024)
        for (decoded, source) in zip([read.master] + read.stems.map(\.audio), [Self.master] + Self.stems.map(\.audio)) {
            for c in 0..<2 {
                #expect(snr(decoded.channels[c], against: source.channels[c]) >= 20)
            }
        }
        #expect(try dir.contents() == ["song.stem.mp4"])
    }

    @Test("ffprobe sees five AAC tracks at 44.1 kHz with only the master default, and the manifest is NI's JSON")
    func layout() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("song.stem.mp4")
        try StemsFile(master: Self.master, stems: Self.stems).write(to: path)

        let probe = try JSONSerialization.jsonObject(
            with: run("ffprobe", ["-v", "error", "-show_streams", "-of", "json", path])) as? [String: Any]
        let streams = try #require(probe?["streams"] as? [[String: Any]])
        #expect(streams.count == 5)
        #expect(streams.allSatisfy { $0["codec_type"] as? String == "audio" && $0["codec_name"] as? String == "aac" })
        #expect(streams.allSatisfy { $0["sample_rate"] as? String == "44100" && $0["channels"] as? Int == 2 })
        #expect(streams.map { ($0["disposition"] as? [String: Int])?["default"] } == [1, 0, 0, 0, 0])
        #expect(streams.allSatisfy { $0["profile"] as? String == "LC" })

        #expect(try trackEnabledFlags(path) == [true, false, false, false, false])

        let manifest = try #require(try MP4Boxes.stemManifest(at: path))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(manifest)) as? [String: Any])
        #expect(json["version"] as? Int == 1)
        let named = try #require(json["stems"] as? [[String: String]])
        #expect(named.map { $0["name"] } == ["drums", "bass", "other", "vocals"])
        #expect(named.allSatisfy { $0["color"]?.count == 7 && $0["color"]?.first == "#" })
        let dsp = try #require(json["mastering_dsp"] as? [String: Any])
        #expect(dsp["compressor"] is [String: Any] && dsp["limiter"] is [String: Any])
    }

    @Test("An ordinary reader of the file gets the master")
    func plainReadIsTheMaster() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("song.stem.mp4")
        try StemsFile(master: Self.master, stems: Self.stems).write(to: path)

        let decoded = try AudioFile.read(path)

        #expect(StemsFile.isStemsFile(path))
        #expect(snr(decoded.audio.channels[0], against: Self.master.channels[0]) >= 20)
    }

    @Test("A six-stem model's guitar and piano go into other; a missing slot is silent")
    func foldsSixStems() {
        let tone = { (f: Double) in sine(frequency: f, sampleRate: 44_100, frames: 100) }
        let separated = [("drums", 100.0), ("bass", 200.0), ("other", 300.0), ("guitar", 400.0), ("piano", 500.0)]
            .map { (name: $0.0, audio: tone($0.1)) }

        let file = StemsFile(master: tone(50), separated: separated)

        #expect(file.stems.map(\.name) == ["drums", "bass", "other", "vocals"])
        #expect(file.stems[0].audio == tone(100))
        let other = (0..<100).map { tone(300).channels[0][$0] + tone(400).channels[0][$0] + tone(500).channels[0][$0] }
        #expect(maxDifference(file.stems[2].audio.channels[0], other) < 1e-6)
        #expect(file.stems[3].audio.channels.allSatisfy { $0.allSatisfy { $0 == 0 } })
    }

    @Test("Stems at another rate are written at 44.1 kHz")
    func resamplesTo44k() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("song.stem.mp4")
        let tone = sine(frequency: 440, sampleRate: 48_000, frames: 48_000)
        try StemsFile(master: tone, separated: [("drums", tone)]).write(to: path)

        let read = try StemsFile.read(path)

        #expect(read.master.sampleRate == 44_100)
        #expect(abs(read.master.frameCount - 44_100) <= 1024)
    }

    @Test("A cancelled write leaves nothing behind")
    func cancelled() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("song.stem.mp4")

        #expect(throws: AudioIOError(path: path, reason: .cancelled)) {
            try StemsFile(master: Self.master, stems: Self.stems).write(to: path, isCancelled: { true })
        }
        #expect(try dir.contents().isEmpty)
    }

    @Test("A full disk fails the write with the system's reason and leaves nothing behind")
    func fullDisk() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("song.stem.mp4")

        #expect(throws: AudioIOError(path: path, reason: .writeFailed("No space left on device"))) {
            try StemsFile(master: Self.master, stems: Self.stems).write(to: path, capacity: 50_000, isCancelled: { false })
        }
        #expect(try dir.contents().isEmpty)
    }

    @Test("An M4A without a stem box is not a stems file")
    func plainM4A() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let source = dir.file("song.wav")
        try AudioFile.write(Self.master, to: source, format: .wav16)
        let path = dir.file("song.m4a")
        try ffmpeg(["-i", source, "-c:a", "aac", path])

        #expect(!StemsFile.isStemsFile(path))
        #expect(throws: AudioIOError(path: path, reason: .notStems("no stem box in moov/udta"))) {
            try StemsFile.read(path)
        }
    }

    /// The enabled flag (bit 0 of `tkhd`'s flags) of every track, read from the file's own boxes.
    private func trackEnabledFlags(_ path: String) throws -> [Bool] {
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        let moov = try #require(MP4Boxes.movie(in: fd)?.bytes)
        let movie = try #require(MP4Boxes.children(of: moov, in: 0..<moov.count)?.first)
        return try #require(MP4Boxes.children(of: moov, in: movie.payload)).filter { $0.type == "trak" }.map { trak in
            let tkhd = try #require(MP4Boxes.children(of: moov, in: trak.payload)?.first { $0.type == "tkhd" })
            return moov[tkhd.payload.lowerBound + 3] & 1 == 1
        }
    }
}
