import Testing
@testable import Mixing

@Suite struct MixStateEditingTests {
    let stems = ["drums", "bass", "other", "vocals"]

    @Test func raisingAFaderStopsAtPlusTwelveDecibels() {
        var state = MixState(stems: stems)
        state.adjustGain(of: 0, byDB: 11)
        state.adjustGain(of: 0, byDB: 3)
        #expect(state.strips[0].gainDB == 12)
    }

    @Test func loweringBelowSixtyDecibelsGoesToSilenceAndRaisingComesBackFromTheFloor() {
        var state = MixState(stems: stems)
        state.adjustGain(of: 1, byDB: -59)
        #expect(state.strips[1].gainDB == -59)
        state.adjustGain(of: 1, byDB: -1)
        #expect(state.strips[1].gainDB == -.infinity)
        #expect(state.effectiveGains()[1] == 0)
        state.adjustGain(of: 1, byDB: 1)
        #expect(state.strips[1].gainDB == -59)
    }

    @Test func masterFaderClampsLikeAStripAndScalesEveryStem() {
        var state = MixState(stems: stems)
        state.adjustMasterGain(byDB: 20)
        #expect(state.masterGainDB == 12)
        state.setGain(of: 2, dB: -6)
        let gains = state.effectiveGains()
        #expect(abs(gains[0] - linearGain(dB: 12)) < 1e-6)
        #expect(abs(gains[2] - linearGain(dB: 6)) < 1e-5)
    }

    @Test func exclusiveSoloSolosOneStripThenClearsAllSolos() {
        var state = MixState(stems: stems)
        state.toggleSolo(0)
        state.toggleExclusiveSolo(3)
        #expect(state.strips.map(\.isSoloed) == [false, false, false, true])
        #expect(state.strips.indices.map(state.isAudible) == [false, false, false, true])
        state.toggleExclusiveSolo(3)
        #expect(!state.hasSolo)
    }

    @Test func additiveSoloAddsAndRemovesOneStrip() {
        var state = MixState(stems: stems)
        state.toggleSolo(0)
        state.toggleSolo(1)
        #expect(state.strips.indices.map(state.isAudible) == [true, true, false, false])
        state.toggleSolo(0)
        #expect(state.strips.indices.map(state.isAudible) == [false, true, false, false])
    }

    @Test func muteWinsOverSolo() {
        var state = MixState(stems: stems)
        state.toggleSolo(2)
        state.toggleMute(2)
        #expect(state.effectiveGains() == [0, 0, 0, 0])
        state.toggleMute(2)
        #expect(state.effectiveGains() == [0, 0, 1, 0])
    }

    @Test func resetStripAndResetAllRestoreAFlatMix() {
        var state = MixState(stems: stems)
        state.setGain(of: 1, dB: 4)
        state.toggleMute(1)
        state.toggleSolo(2)
        state.adjustMasterGain(byDB: -3)
        state.resetStrip(1)
        #expect(state.strips[1] == ChannelStrip(name: "bass"))
        #expect(state.strips[2].isSoloed)
        state.resetAll()
        #expect(state == MixState(stems: stems))
    }

    @Test func applyingAPresetKeepsTheMasterFader() {
        var state = MixState(stems: stems)
        state.adjustMasterGain(byDB: -6)
        state.setGain(of: 0, dB: 3)
        state.apply(.karaoke)
        #expect(state.masterGainDB == -6)
        #expect(state.strips == Preset.karaoke.state(stems: stems).strips)
        #expect(state.strips.indices.map(state.isAudible) == [true, true, true, false])
        state.apply(.acapella)
        #expect(state.strips.indices.map(state.isAudible) == [false, false, false, true])
    }
}
