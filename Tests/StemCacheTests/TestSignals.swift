import Foundation
import Testing
@testable import StemCache

/// A cache in a fresh temporary directory.
func makeCache(maxSize: Int = StemCache.defaultMaxSize) throws -> StemCache {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("StemCacheTests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return StemCache(directory: directory, maxSize: maxSize)
}

func remove(_ cache: StemCache) { try? FileManager.default.removeItem(at: cache.directory) }

func names(in cache: StemCache) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: cache.directory.path)) ?? []).sorted()
}

private let keyAudio: [[Float]] = [(0..<1000).map { sin(Float($0) * 0.01) }, (0..<1000).map { cos(Float($0) * 0.02) }]

func key(model: String = "htdemucs:955717e8-8726e21a.th", overlap: Double = 0.25, shifts: Int = 1) -> CacheKey {
    CacheKey(audio: keyAudio, sampleRate: 44100, model: model, overlap: overlap, shifts: shifts)
}

/// A partial entry of one mono source, 10 frames in tiles of 5.
func openSmallPartial(in cache: StemCache, for key: CacheKey) throws -> PartialEntry? {
    try cache.openPartial(for: key, sources: ["a"], sampleRate: 44100, channelCount: 1, frameCount: 10, tileFrames: 5, trackName: "x")
}

/// What a killed writer leaves: a partial entry with its first tile done, closed without finishing.
func leaveStalePartial(in cache: StemCache, for key: CacheKey) throws {
    let partial = try #require(try openSmallPartial(in: cache, for: key))
    try partial.markDone(0)
}

/// Deterministic noise in −1…1 (SplitMix64).
struct Noise {
    var state: UInt64
    mutating func next() -> Float {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Float((z ^ (z >> 31)) >> 40) / Float(1 << 23) - 1
    }
}

/// Four music-like stereo stems of `frames` frames at 44.1 kHz with a wide dynamic
/// range: a bass line of decaying harmonic notes, drums (kicks and noise bursts), a
/// sine sweep over the whole band that ends in a passage at −60 dBFS, and a voice-like
/// buzz through two resonances, in syllables with digital silence between them.
func musicLikeStems(frames: Int = 3 * 44100) throws -> CachedStems {
    let rate: Float = 44100
    var noise = Noise(state: 7)
    func note(_ i: Int, length: Int) -> (index: Int, phase: Float) { (i / length, Float(i % length) / rate) }
    let bass = (0..<frames).map { i -> Float in
        let (index, t) = note(i, length: 11025)
        let f: Float = [55, 73.4, 82.4, 61.7][index % 4]
        return 0.5 * exp(-3 * t) * (1...4).reduce(0) { $0 + sin(2 * .pi * f * Float($1) * t) / Float($1) }
    }
    let drums = (0..<frames).map { i -> Float in
        let (_, t) = note(i, length: 11025)
        let kick = 0.9 * exp(-20 * t) * sin(2 * .pi * (50 + 100 * exp(-30 * t)) * t)
        return kick + 0.3 * exp(-60 * Float((i + 5512) % 11025) / rate) * noise.next()
    }
    let other = (0..<frames).map { i -> Float in
        let t = Float(i) / rate
        let duration = Float(frames) / rate
        let level: Float = i < frames * 2 / 3 ? 0.3 : 0.0003
        return level * sin(2 * .pi * 20 * duration / log(1000) * (exp(t / duration * log(1000)) - 1))
    }
    var resonators = (Resonator(frequency: 700, rate: rate), Resonator(frequency: 1200, rate: rate))
    let vocals = (0..<frames).map { i -> Float in
        let syllable = i % 16384
        guard syllable < 11000 else { return 0 }
        let pitch = 120 + 40 * sin(Float(i) / rate * 3)
        let pulse: Float = (Float(i) / rate * pitch).truncatingRemainder(dividingBy: 1) < 0.05 ? 1 : 0
        let envelope = sin(.pi * Float(syllable) / 11000)
        return 0.05 * envelope * (resonators.0.filter(pulse) + 0.5 * resonators.1.filter(pulse))
    }
    let stems = [bass, drums, other, vocals].map { left in
        [left, left.enumerated().map { $0.offset < 3 ? 0 : 0.8 * left[$0.offset - 3] + 1e-4 * noise.next() * abs($0.element) }]
    }
    return try CachedStems(sources: ["bass", "drums", "other", "vocals"], sampleRate: 44100, trackName: "Song – ümlaut.flac", stems: stems)
}

/// A two-pole resonance.
struct Resonator {
    var a1: Float, a2: Float, y1: Float = 0, y2: Float = 0
    init(frequency: Float, rate: Float) {
        let r: Float = 0.995
        a1 = 2 * r * cos(2 * .pi * frequency / rate)
        a2 = -r * r
    }
    mutating func filter(_ x: Float) -> Float {
        let y = x + a1 * y1 + a2 * y2
        (y2, y1) = (y1, y)
        return y
    }
}

/// Every plane of `reader`, decoded whole, `[source][channel][frame]`.
func decodeAll(_ reader: EntryReader) throws -> [[[Float]]] {
    let frames = reader.frameCount
    var flat = [Float](repeating: .nan, count: reader.sources.count * reader.channelCount * frames)
    try flat.withUnsafeMutableBufferPointer { try reader.decode(frames: 0..<frames, into: $0, planeStride: frames) }
    return (0..<reader.sources.count).map { s in
        (0..<reader.channelCount).map { c in
            let plane = s * reader.channelCount + c
            return Array(flat[(plane * frames)..<((plane + 1) * frames)])
        }
    }
}

/// Signal to error, in dB.
func snr(_ original: [Float], _ decoded: [Float]) -> Double {
    let signal = original.reduce(0.0) { $0 + Double($1) * Double($1) }
    let error = zip(original, decoded).reduce(0.0) { $0 + pow(Double($1.0) - Double($1.1), 2) }
    return error == 0 ? .infinity : 10 * log10(signal / error)
}

/// Samples of a 32-bit float WAV file, `[channel][frame]`, and its sample rate.
func readFloatWAV(_ url: URL) throws -> (channels: [[Float]], sampleRate: Int) {
    let data = try Data(contentsOf: url)
    func u32(_ at: Int) -> Int { Int(data[at..<(at + 4)].withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) }) }
    func u16(_ at: Int) -> Int { Int(data[at..<(at + 2)].withUnsafeBytes { UInt16(littleEndian: $0.loadUnaligned(as: UInt16.self)) }) }
    var offset = 12
    var channels = 0, rate = 0, bits = 0
    while offset + 8 <= data.count {
        let id = String(decoding: data[offset..<(offset + 4)], as: UTF8.self)
        let size = u32(offset + 4)
        if id == "fmt " {
            channels = u16(offset + 10)
            rate = u32(offset + 12)
            bits = u16(offset + 22)
        } else if id == "data", channels > 0, bits == 32 {
            let frames = min(size, data.count - offset - 8) / (4 * channels)
            let samples = data[(offset + 8)...].withUnsafeBytes { raw in
                (0..<(frames * channels)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
            }
            return ((0..<channels).map { c in stride(from: c, to: samples.count, by: channels).map { samples[$0] } }, rate)
        }
        offset += 8 + size + size % 2
    }
    throw CocoaError(.fileReadCorruptFile)
}
