import Foundation
import Testing
@testable import StemCache

/// Measures the cache on real stems: `STEMCACHE_MEASURE=dir1:dir2` codes the 32-bit
/// float WAV files in each directory as one entry and prints bytes a minute (beside
/// float32's) and each file's SNR. Skipped unless set; run it on a release build for speed.
@Suite("Compression measurement")
struct CompressionMeasurement {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["STEMCACHE_MEASURE"] != nil))
    func measureRealStems() throws {
        for directory in ProcessInfo.processInfo.environment["STEMCACHE_MEASURE"]!.split(separator: ":") {
            let files = try FileManager.default.contentsOfDirectory(atPath: String(directory)).filter { $0.hasSuffix(".wav") }.sorted()
            let wavs = try files.map { try readFloatWAV(URL(fileURLWithPath: "\(directory)/\($0)")) }
            let frames = wavs.map { $0.channels[0].count }.min()!
            let stems = try CachedStems(
                sources: files, sampleRate: wavs[0].sampleRate, trackName: String(directory),
                stems: wavs.map { $0.channels.map { Array($0.prefix(frames)) } })
            let cache = try makeCache()
            defer { remove(cache) }
            try cache.store(stems, for: key())
            let reader = try #require(cache.load(key()).reader)
            let decoded = try decodeAll(reader)
            let size = cache.list().usedSize
            let minutes = Double(frames) / Double(stems.sampleRate) / 60
            let samples = stems.stems.count * stems.channelCount * frames
            print("\(directory): \(frames) frames, \(String(format: "%.2f", Double(size) / minutes / 1e6)) MB/min against float32 \(String(format: "%.2f", Double(4 * samples) / minutes / 1e6)) MB/min, \(String(format: "%.3f", Double(size) / Double(samples))) bytes/sample")
            for (index, name) in files.enumerated() {
                let planes = zip(stems.stems[index], decoded[index])
                let signal = planes.map { zip($0.0, $0.0).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } }.reduce(0, +)
                let error = planes.map { zip($0.0, $0.1).reduce(0.0) { $0 + pow(Double($1.0) - Double($1.1), 2) } }.reduce(0, +)
                print("  \(name): SNR \(String(format: "%.1f", 10 * log10(signal / error))) dB")
            }
        }
    }
}
