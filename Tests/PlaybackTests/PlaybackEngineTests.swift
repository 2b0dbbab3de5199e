import Glibc
import Mixing
import Testing
@testable import Playback

/// A clock sink that stalls once, as a starved render thread would.
final class StallingSink: AudioSink {
    let clock = ClockSink(sampleRate: 44_100, periodFrames: 441, bufferFrames: 1_764)
    let stallAtWrite: Int
    let stallMicroseconds: UInt32
    private var writes = 0

    init(stallAtWrite: Int, stallMicroseconds: UInt32) {
        self.stallAtWrite = stallAtWrite
        self.stallMicroseconds = stallMicroseconds
    }

    var sampleRate: Int { clock.sampleRate }
    var channelCount: Int { clock.channelCount }
    var periodFrames: Int { clock.periodFrames }
    var format: SampleFormat { clock.format }
    var underruns: Int { clock.underruns }

    func write(_ interleaved: UnsafeRawBufferPointer, frames: Int) throws {
        writes += 1
        if writes == stallAtWrite { usleep(stallMicroseconds) }
        try clock.write(interleaved, frames: frames)
    }

    func close() {}
}

@Suite struct PlaybackEngineTests {
    func engine(frames: Int = 441_000) -> PlaybackEngine {
        PlaybackEngine(
            store: filledStore(testStems(frames: frames)),
            controls: MixerControls(state: MixState(stems: ["drums", "bass", "other", "vocals"]), playing: true))
    }

    @Test func aStallLongerThanTheBufferCountsOneUnderrunAndPlaybackGoesOn() {
        let engine = engine()
        // 40 ms of buffer; a 150 ms stall on the 10th period runs it dry.
        engine.start(sink: StallingSink(stallAtWrite: 10, stallMicroseconds: 150_000))
        #expect(eventually { engine.status.underruns == 1 })
        let position = engine.status.position
        #expect(eventually { engine.status.position > position + 4_410 })
        engine.stop()
        #expect(engine.status.underruns == 1)
    }

    @Test func theClockKeepsRealTime() {
        let engine = engine()
        engine.start(sink: ClockSink(sampleRate: 44_100))
        usleep(300_000)
        let position = engine.status.position
        engine.stop()
        // 0.3 s is 13 230 frames, plus the four periods queued up front.
        #expect(position >= 13_230 && position <= 13_230 + 4 * 1_024 + 4_410)
        #expect(engine.status.underruns == 0)
    }

    @Test func withoutASoundCardTheEnginePlaysAgainstAClockAndSaysWhy() {
        let engine = engine()
        engine.start(device: "demixer-no-such-device")
        #expect(engine.deviceProblem?.contains("snd_pcm_open") == true)
        #expect(eventually { engine.status.position > 0 })
        engine.stop()
    }

    @Test func theNullDeviceIsPlayedWithoutComplaint() {
        let engine = engine(frames: 44_100)
        engine.start(device: "null")
        #expect(engine.deviceProblem == nil)
        #expect(eventually { engine.status.position == 44_100 })
        engine.stop()
    }

    @Test func playbackWaitsForSeparationToCatchUp() throws {
        let stems = testStems(frames: 44_100)
        let store = try StemStore(stems: 4, channels: 2, frames: 44_100, sampleRate: 44_100, tileFrames: 441)
        store.append(start: 0, frames: 4_410, stems: stems.map { $0.map { Array($0[..<4_410]) } })
        let engine = PlaybackEngine(
            store: store, controls: MixerControls(state: MixState(stems: ["a", "b", "c", "d"]), playing: true))
        engine.start(sink: ClockSink(sampleRate: 44_100))
        // Buffering is set within a period and the position at its end: wait for both.
        #expect(eventually { engine.status.isBuffering && engine.status.position == 4_410 })
        store.append(start: 4_410, frames: 39_690, stems: stems.map { $0.map { Array($0[4_410...]) } })
        #expect(eventually { engine.status.position > 4_410 && !engine.status.isBuffering })
        engine.stop()
    }
}
