import Testing
@testable import AudioIO

@Suite("Clip modes before writing")
struct ClipModeTests {
    let loud = AudioBuffer(sampleRate: 44_100, channels: [[2, -1], [0.5, 0]])
    let quiet = AudioBuffer(sampleRate: 44_100, channels: [[0.5, -0.25]])

    @Test("rescale scales every stem by one shared gain so none clips")
    func rescaleSharesOneGain() {
        let out = ClipMode.rescale.apply(to: [loud, quiet])
        let gain: Float = 1 / (1.01 * 2)
        #expect(out[0].channels == [[2 * gain, -1 * gain], [0.5 * gain, 0]])
        #expect(out[1].channels == [[0.5 * gain, -0.25 * gain]])
        #expect(out.allSatisfy { $0.channels.joined().allSatisfy { abs($0) < 1 } })
    }

    @Test("rescale leaves stems that do not clip alone")
    func rescaleLeavesQuietStems() {
        #expect(ClipMode.rescale.apply(to: [quiet]) == [quiet])
    }

    @Test("clamp limits each sample to ±1")
    func clampLimits() {
        #expect(ClipMode.clamp.apply(to: [loud])[0].channels == [[1, -1], [0.5, 0]])
    }

    @Test("none changes nothing")
    func noneKeeps() {
        #expect(ClipMode.none.apply(to: [loud, quiet]) == [loud, quiet])
    }
}

@Suite("Clip modes block by block")
struct StreamingClipModeTests {
    let stems = [
        sine(frequency: 100, amplitude: 1.7, sampleRate: 44_100, frames: 10_000),
        sine(frequency: 250, amplitude: 0.6, sampleRate: 44_100, frames: 10_000, channels: 1),
    ]

    @Test(
        "The peak found block by block and the gain applied per block give apply(to:)'s samples",
        arguments: ClipMode.allCases, [1, 333, 10_000, 20_000])
    func blocksEqualWhole(mode: ClipMode, blockFrames: Int) {
        let whole = mode.apply(to: stems)

        var peak: Float = 0
        for stem in stems {
            for block in blocks(of: stem, frames: blockFrames) { peak = max(peak, ClipMode.peak(of: block)) }
        }
        let gain = mode.gain(forPeak: peak)
        let streamed = stems.map { stem in
            var joined = AudioBuffer(sampleRate: stem.sampleRate, channels: [])
            for block in blocks(of: stem, frames: blockFrames) { joined.append(mode.apply(block, gain: gain)) }
            return joined
        }

        #expect(streamed == whole)
    }

    @Test("The gain is rescale's only, and never above 1")
    func gainIsRescalesOnly() {
        #expect(ClipMode.rescale.gain(forPeak: 2) == 1 / (1.01 * 2))
        #expect(ClipMode.rescale.gain(forPeak: 0.5) == 1)
        #expect(ClipMode.clamp.gain(forPeak: 2) == 1)
        #expect(ClipMode.none.gain(forPeak: 2) == 1)
    }
}
