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
