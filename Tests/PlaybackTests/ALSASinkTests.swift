import Foundation
import Glibc
import Mixing
import Testing
@testable import Playback

/// Tests use ALSA's `null` device and its `file` plugin: there is no sound card here,
/// and the file plugin records exactly what was played.
@Suite struct ALSASinkTests {
    @Test(arguments: [SampleFormat.int16, .float32])
    func theFileDeviceRecordsExactlyTheOfflineRender(format: SampleFormat) throws {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("demixer-alsa-\(getpid())-\(format).raw").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let stems = testStems(frames: 20_000)
        var state = MixState(stems: ["drums", "bass", "other", "vocals"])
        state.setGain(of: 1, dB: 6)
        state.toggleExclusiveSolo(1)
        state.toggleSolo(2)
        let engine = PlaybackEngine(store: filledStore(stems), controls: MixerControls(state: state, playing: true))
        let sink = try ALSASink(device: "file:'\(path)',raw", format: format, sampleRate: 44_100)
        engine.start(sink: sink)
        #expect(eventually { engine.status.position == 20_000 })
        engine.stop()

        let recorded = try Data(contentsOf: URL(fileURLWithPath: path))
        let expected = renderMix(stems: stems, state: state)
        let interleaved = (0..<20_000).flatMap { frame in expected.map { $0[frame] } }
        switch format {
        case .int16:
            let samples = recorded.withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }
            #expect(samples.count >= interleaved.count)
            #expect(Array(samples.prefix(interleaved.count)) == interleaved.map(int16Sample))
        case .float32:
            let samples = recorded.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            #expect(samples.count >= interleaved.count)
            #expect(Array(samples.prefix(interleaved.count)) == interleaved)
        }
        #expect(engine.status.underruns == 0)
    }

    @Test func theNullDeviceTakesPeriodsAndReportsItsSizes() throws {
        let sink = try ALSASink(device: "null", sampleRate: 44_100)
        #expect(sink.periodFrames > 0 && sink.bufferFrames >= sink.periodFrames)
        let silence = [Int16](repeating: 0, count: sink.periodFrames * 2)
        try silence.withUnsafeBytes { try sink.write($0, frames: sink.periodFrames) }
        try sink.drain()
        sink.close()
        #expect(throws: ALSAError.self) {
            try silence.withUnsafeBytes { try sink.write($0, frames: sink.periodFrames) }
        }
    }

    @Test func anUnknownDeviceThrowsAnErrorNamingTheCallAndTheDevice() {
        let error = #expect(throws: ALSAError.self) { try ALSASink(device: "demixer-no-such-device", sampleRate: 44_100) }
        #expect(error?.function == "snd_pcm_open")
        #expect(error?.code == -ENOENT)
        #expect(error?.description.contains("demixer-no-such-device") == true)
    }
}
