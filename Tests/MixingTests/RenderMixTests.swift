import Foundation
import Testing
@testable import Mixing

@Suite struct RenderMixTests {
    let stems: [[[Float]]] = [
        [[1, 2, 3], [-1, -2, -3]],
        [[0.5, 0.5, 0.5], [0.25, 0, -0.25]],
        [[10, 20, 30], [0, 0, 0]],
    ]

    @Test func flatMixIsTheSumOfTheStems() {
        let mix = renderMix(stems: stems, state: MixState(stems: ["a", "b", "c"]))
        #expect(mix == [[11.5, 22.5, 33.5], [-0.75, -2, -3.25]])
    }

    @Test func fadersMuteAndMasterScaleEachStem() {
        var state = MixState(stems: ["a", "b", "c"])
        state.setGain(of: 1, dB: 20 * log10(2))
        state.toggleMute(2)
        state.adjustMasterGain(byDB: -20 * log10(2))
        let mix = renderMix(stems: stems, state: state)
        let expected: [[Float]] = [[1, 1.5, 2], [-0.25, -1, -1.75]]
        for (channel, want) in zip(mix, expected) {
            for (got, want) in zip(channel, want) { #expect(abs(got - want) < 1e-5) }
        }
    }

    @Test func soloKeepsOnlyTheSoloedStems() {
        var state = MixState(stems: ["a", "b", "c"])
        state.toggleExclusiveSolo(1)
        #expect(renderMix(stems: stems, state: state) == stems[1])
    }

    @Test func longTracksAreRenderedAcrossBlockBoundaries() {
        let frames = 10_000
        let stem = [(0..<frames).map { Float($0) }]
        var state = MixState(stems: ["a", "b"])
        state.toggleMute(1)
        let mix = renderMix(stems: [stem, stem], state: state)
        #expect(mix == stem)
    }
}
