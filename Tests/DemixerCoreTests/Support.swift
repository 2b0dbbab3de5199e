import AudioIO
import Demucs
import DemixerCore
import Foundation
import ModelFiles
import Playback
import StemCache

/// A small random-weight HT Demucs at `sampleRate`, fast enough to separate seconds of
/// audio in a test, wrapped as the application loads models (by default without a cache).
func smallModel(sampleRate: Int = 44_100, shifts: Int = 0, cache: StemCache? = nil) throws -> LoadedModel {
    var config = HTDemucsConfig(sources: ["drums", "bass", "other", "vocals"])
    config.channels = 8
    config.bottomChannels = 32
    config.tLayers = 1
    config.tHeads = 4
    config.normStarts = 2
    config.sampleRate = sampleRate
    config.segment = .init(numerator: 1, denominator: 2)
    let model = try HTDemucs(config: config, randomSeed: 7)
    var options = SeparationOptions()
    options.shifts = shifts
    return LoadedModel(
        separator: try Separator(bag: ModelBag(model), options: options), displayName: "small",
        identity: "small-\(sampleRate)", cache: cache)
}

/// `seconds` of a stereo test signal at `sampleRate`, as a track from a `sourceRate` file.
func syntheticTrack(seconds: Double, sampleRate: Int = 44_100, sourceRate: Int? = nil) throws -> Track {
    let frames = Int(seconds * Double(sampleRate))
    var channels = [[Float]](repeating: [Float](repeating: 0, count: frames), count: 2)
    for i in 0..<frames {
        let t = Float(i) / Float(sampleRate)
        channels[0][i] = 0.3 * sinf(2 * .pi * 220 * t)
        channels[1][i] = 0.2 * sinf(2 * .pi * 330 * t)
    }
    return Track(
        name: "tone", fileExtension: "wav", sourceRate: sourceRate ?? sampleRate, sourceChannels: 2,
        mix: try MappedAudio(copying: AudioBuffer(sampleRate: sampleRate, channels: channels)))
}

/// A session playing into a silent clock, as the player runs without a sound card.
func silentSession(track: Track, model: LoadedModel) throws -> MixerSession {
    try MixerSession(track: track, model: model, output: .sink(ClockSink(sampleRate: track.sampleRate)))
}

/// Polls `condition` every 10 ms for up to `seconds`; returns whether it came true.
func eventually(within seconds: Double = 60, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        Thread.sleep(forTimeInterval: 0.01)
    }
    return condition()
}

/// A fresh folder under the system's temporary directory, removed when the value goes away.
final class ScratchFolder {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("DemixerCoreTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    /// Every file below the folder, as paths relative to it.
    func files() -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: url.path)
        var found: [String] = []
        while let path = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.appendingPathComponent(path).path, isDirectory: &isDirectory),
                !isDirectory.boolValue
            {
                found.append(path)
            }
        }
        return found.sorted()
    }

    /// Temporary files a writer left behind.
    func temporaries() -> [String] { files().filter { $0.hasSuffix(".tmp") } }
}

extension JobOutcome {
    var isCancelled: Bool { if case .cancelled = self { true } else { false } }
    var isFinished: Bool { if case .finished = self { true } else { false } }
}

/// The small fixture model of the engine's parity tests with one weight made NaN, so
/// that one channel of its first stem comes out non-finite.
func brokenModel() throws -> LoadedModel {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("DemucsTests/Fixtures/small_forward/5f0a1e01-754fa305.th")
    let checkpoint = try TorchCheckpoint.load(contentsOf: url)
    let config = try HTDemucsConfig(kwargs: checkpoint.kwargs)
    var tensors = checkpoint.state.mapValues { Tensor(shape: $0.shape, values: $0.values) }
    let name = "tdecoder.\(config.depth - 1).conv_tr.bias"
    tensors[name]!.values[0] = .nan
    let model = try HTDemucs(config: config, tensors: tensors)
    return LoadedModel(separator: try Separator(bag: ModelBag(model)), displayName: "broken", identity: "broken", cache: nil)
}
