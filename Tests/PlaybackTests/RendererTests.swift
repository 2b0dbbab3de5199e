import Foundation
import Mixing
import Testing
@testable import Playback

@Suite struct RendererTests {
    let names = ["drums", "bass", "other", "vocals"]

    @Test func settledPlaybackEqualsTheOfflineRenderSampleForSample() {
        let stems = testStems(frames: 5_000)
        var state = MixState(stems: names)
        state.setGain(of: 3, dB: -6)
        state.toggleMute(0)
        state.adjustMasterGain(byDB: 2)
        let harness = RenderHarness(store: filledStore(stems), state: state)
        let played = harness.render(periods: 10)
        let expected = renderMix(stems: stems, state: state)
        for channel in 0..<2 {
            #expect(Array(played[channel][..<5_000]) == expected[channel])
            #expect(played[channel][5_000...].allSatisfy { $0 == 0 })
        }
        #expect(harness.status.position == 5_000)
        #expect(!harness.status.isBuffering)
    }

    @Test func aSeekIsPendingUntilThePlayheadHasMovedSoQuickKeysAddUp() {
        let harness = RenderHarness(store: filledStore(testStems(frames: 20_000)), state: MixState(stems: names))
        harness.renderQuietly()
        #expect(harness.controls.pendingSeekTarget == nil)
        harness.controls.requestSeek(to: 15_000)
        harness.controls.requestSeek(to: (harness.controls.pendingSeekTarget ?? 0) - 2_000)
        #expect(harness.controls.pendingSeekTarget == 13_000)
        _ = harness.render(periods: 4)
        #expect(harness.controls.pendingSeekTarget == nil)
        #expect((13_000..<15_000).contains(harness.status.position))
    }

    @Test func playheadWaitsAtTheEndOfWhatIsSeparatedThenResumesWhenMoreIsSeparated() throws {
        let stems = testStems(frames: 20_000)
        let store = try StemStore(stems: 4, channels: 2, frames: 20_000, sampleRate: 44_100, tileFrames: 1_000)
        store.append(start: 0, frames: 5_000, stems: stems.map { $0.map { Array($0[..<5_000]) } })
        let harness = RenderHarness(store: store, state: MixState(stems: names))
        let played = harness.render(periods: 20)
        #expect(harness.status.position == 5_000)
        #expect(harness.status.isBuffering)
        #expect(played[0][5_000...].allSatisfy { $0 == 0 })
        // Sound fades out in the last few milliseconds before the end of what is separated.
        #expect(abs(played[0][4_999]) < 0.01)

        store.append(start: 5_000, frames: 15_000, stems: stems.map { $0.map { Array($0[5_000...]) } })
        let resumed = harness.render(periods: 2)
        #expect(harness.status.position == 5_000 + 1_024)
        #expect(!harness.status.isBuffering)
        #expect(abs(resumed[0][0]) < 0.01)
        #expect(resumed[0][300...].contains { $0 != 0 })
    }

    @Test func aSeekPastAGapPlaysTheSeparatedRangeThereAndWaitsAtItsEnd() throws {
        // One stem whose every sample is its own frame number, scaled.
        let ramp = (0..<40_000).map { Float($0) / 40_000 }
        let store = try StemStore(stems: 1, channels: 1, frames: 40_000, sampleRate: 44_100, tileFrames: 1_000)
        store.append(start: 0, frames: 5_000, stems: [[ramp]])
        store.write(start: 20_000, stems: [[Array(ramp[20_000..<30_000])]])
        for tile in 20..<30 { store.markSeparated(tile: tile) }
        let harness = RenderHarness(store: store, state: MixState(stems: ["ramp"]))
        _ = harness.render(periods: 12)
        #expect(harness.status.position == 5_000 && harness.status.isBuffering)

        harness.controls.requestSeek(to: 21_000)
        let played = harness.render()[0]
        #expect(!harness.status.isBuffering)
        #expect(harness.status.position == 21_512)
        #expect(abs(played[511] - Float(21_511) / 40_000) < 1e-6)

        let rest = harness.render(periods: 20)[0]
        #expect(harness.status.position == 30_000 && harness.status.isBuffering)
        #expect(rest.allSatisfy { $0 < 30_000 / 40_000 })
        #expect(rest.suffix(1_000).allSatisfy { $0 == 0 })

        store.write(start: 30_000, stems: [[Array(ramp[30_000..<31_000])]])
        store.markSeparated(tile: 30)
        let resumed = harness.render()[0]
        #expect(harness.status.position == 30_512 && !harness.status.isBuffering)
        #expect(resumed[511] > 30_000 / 40_000)
    }

    @Test func pausingFadesOutInFiveMillisecondsAndHoldsThePlayhead() {
        let constant = [[[Float]](repeating: [Float](repeating: 0.5, count: 10_000), count: 2)]
        let harness = RenderHarness(store: filledStore(constant), state: MixState(stems: ["all"]))
        _ = harness.render()
        harness.controls.isPlaying = false
        let fading = harness.render()[0]
        #expect(fading[0] > 0.49)
        #expect(fading[Renderer.fadeFrames...].allSatisfy { $0 == 0 })
        let steps = zip(fading.dropFirst(), fading).map { abs($0 - $1) }
        #expect(steps.max()! <= 0.5 / Float(Renderer.fadeFrames) * 1.01)
        #expect(harness.status.position == 512 + Renderer.fadeFrames)
        _ = harness.render(periods: 3)
        #expect(harness.status.position == 512 + Renderer.fadeFrames)

        harness.controls.isPlaying = true
        let resuming = harness.render()[0]
        #expect(resuming[0] < 0.01)
        #expect(resuming[(Renderer.fadeFrames - 1)...].allSatisfy { $0 == 0.5 })
    }

    @Test func seekFadesOutJumpsAndFadesBackIn() {
        // One stem whose every sample is its own frame number, scaled.
        let ramp = [[(0..<40_000).map { Float($0) / 40_000 }]]
        let harness = RenderHarness(store: filledStore(ramp), state: MixState(stems: ["ramp"]))
        _ = harness.render()
        harness.controls.requestSeek(to: 30_000)
        let played = harness.render()[0]
        let fade = Renderer.fadeFrames
        #expect(played[fade - 1] == 0)
        #expect(abs(played[fade + fade] - Float(30_000 + fade) / 40_000) < 1e-6)
        #expect(harness.status.position == 30_000 + 512 - fade)
    }

    @Test func loopWrapsFromBBackToA() {
        let ramp = [[(0..<40_000).map { Float($0) / 40_000 }]]
        let harness = RenderHarness(store: filledStore(ramp), state: MixState(stems: ["ramp"]))
        harness.controls.loop = 1_000..<3_000
        var positions: [Int] = []
        var played: [Float] = []
        for _ in 0..<40 {
            played += harness.render()[0]
            positions.append(harness.status.position)
        }
        #expect(positions.allSatisfy { $0 <= 3_000 })
        #expect(positions.suffix(30).allSatisfy { $0 >= 1_000 })
        #expect(played.allSatisfy { $0 < 3_000 / 40_000 })
        #expect(played.suffix(10_000).max()! > 2_700 / 40_000)
    }

    @Test func faderMovesRampWithoutJumps() {
        let constant = [[[Float]](repeating: [Float](repeating: 0.5, count: 10_000), count: 1)]
        var state = MixState(stems: ["all"])
        let harness = RenderHarness(store: filledStore(constant), state: state)
        _ = harness.render()
        state.toggleMute(0)
        harness.controls.publish(state)
        let played = harness.render()[0]
        let steps = zip(played.dropFirst(), played).map { abs($0 - $1) }
        #expect(steps.max()! <= 0.5 / Float(Renderer.gainRampFrames) * 1.01)
        #expect(played[Renderer.gainRampFrames - 1] == 0)
    }

    @Test func metersReportEachStemAfterItsFaderAndTheMaster() {
        let sine = (0..<4_400).map { Float(sin(2 * Double.pi * Double($0) / 100)) }
        let stems: [[[Float]]] = [[sine], [[Float](repeating: 0, count: 4_400)]]
        var state = MixState(stems: ["sine", "silence"])
        state.setGain(of: 0, dB: -6)
        let harness = RenderHarness(store: filledStore(stems), state: state, period: 400)
        _ = harness.render()
        #expect(abs(harness.status.meter(stem: 0).peakDB - -6) < 0.01)
        #expect(abs(harness.status.meter(stem: 0).rmsDB - -9.01) < 0.01)
        #expect(harness.status.meter(stem: 1).peakDB == -.infinity)
        #expect(abs(harness.status.masterMeter.peakDB - -6) < 0.01)
        #expect(!harness.status.masterMeter.isClipped)
    }

    @Test func at80PercentTempoThePlayheadMovesPoint8SongFramesPerFramePlayed() {
        let harness = RenderHarness(store: filledStore(testStems(frames: 200_000)), state: MixState(stems: names))
        harness.controls.stretch = StretchSettings(tempo: 0.8)
        // Past the switch into the stretcher and its start-up.
        _ = harness.render(periods: 40)
        let start = harness.status.position
        let played = harness.render(periods: 200)
        let moved = harness.status.position - start
        let songFramesPerFrame = Double(moved) / Double(200 * harness.period)
        #expect(abs(songFramesPerFrame / 0.8 - 1) < 0.02)
        #expect(played[0].contains { abs($0) > 0.1 })
    }

    @Test func stretchedPlaybackNeverPassesTheEndOfWhatIsSeparated() throws {
        let stems = testStems(frames: 60_000)
        let store = try StemStore(stems: 4, channels: 2, frames: 60_000, sampleRate: 44_100, tileFrames: 1_000)
        store.append(start: 0, frames: 20_000, stems: stems.map { $0.map { Array($0[..<20_000]) } })
        let harness = RenderHarness(store: store, state: MixState(stems: names))
        var positions: [Int] = []
        for period in 0..<150 {
            // Tempo and key change while playing, up to twice the speed.
            harness.controls.stretch = StretchSettings(tempo: [1.5, 2, 0.6][period / 50], semitones: 3)
            _ = harness.render()
            positions.append(harness.status.position)
        }
        #expect(positions.allSatisfy { $0 <= 20_000 })
        #expect(harness.status.position == 20_000)
        #expect(harness.status.isBuffering)

        store.append(start: 20_000, frames: 40_000, stems: stems.map { $0.map { Array($0[20_000...]) } })
        _ = harness.render(periods: 20)
        #expect(harness.status.position > 20_000)
        #expect(!harness.status.isBuffering)
    }

    @Test func switchingTheStretcherOnAndOffFadesInsteadOfClicking() {
        let constant = [[[Float]](repeating: [Float](repeating: 0.5, count: 100_000), count: 1)]
        let harness = RenderHarness(store: filledStore(constant), state: MixState(stems: ["all"]))
        _ = harness.render()
        harness.controls.stretch = StretchSettings(tempo: 0.9)
        let entering = harness.render()[0]
        let steps = zip(entering.dropFirst(), entering).map { abs($0 - $1) }
        #expect(steps.max()! <= 0.5 / Float(Renderer.fadeFrames) * 1.01)
        _ = harness.render(periods: 40)
        harness.controls.stretch = .original
        _ = harness.render(periods: 2)
        // Back on the direct path: the mix passes sample for sample again.
        #expect(harness.render()[0].allSatisfy { $0 == 0.5 })
    }

    /// glibc's bytes in use (`malloc_stats`) must not change over 20 000 periods that
    /// play, pause, seek, loop and change tempo and key. Measured in a forked child, where no other test's
    /// thread allocates. This catches memory kept per period (a growing array, a value
    /// boxed and retained) and allocations of sizes malloc has not handed out before;
    /// it cannot see a malloc/free pair of a size already cached, which leaves the
    /// count unchanged.
    @Test func renderingKeepsNoMemory() throws {
        let harness = RenderHarness(store: filledStore(testStems(frames: 50_000)), state: MixState(stems: names))
        harness.controls.loop = 10_000..<20_000
        func exercise(periods: Int) {
            for period in 0..<periods {
                if period % 97 == 0 { harness.controls.isPlaying.toggle() }
                if period % 131 == 0 { harness.controls.requestSeek(to: period * 7) }
                if period % 149 == 0 {
                    harness.controls.stretch = StretchSettings(tempo: [1, 0.5, 2, 0.8][period % 4], semitones: Double(period % 5 - 2))
                }
                harness.renderQuietly()
            }
        }
        exercise(periods: 500)
        _ = try #require(mallocBytesInUse())
        let child = fork()
        if child == 0 {
            // Measuring allocates too: once to settle glibc's per-thread cache, then for real.
            _ = mallocBytesInUse()
            let before = mallocBytesInUse()
            exercise(periods: 20_000)
            let after = mallocBytesInUse()
            _exit(before != nil && before == after ? 0 : 1)
        }
        try #require(child > 0, "fork failed")
        var exitStatus: Int32 = 0
        let finished = eventually(within: 60) { waitpid(child, &exitStatus, WNOHANG) == child }
        if !finished {
            kill(child, SIGKILL)
            waitpid(child, &exitStatus, 0)
        }
        #expect(finished, "the measuring child did not finish")
        #expect(exitStatus == 0, "bytes in use changed while rendering (wait status \(exitStatus))")
    }
}
