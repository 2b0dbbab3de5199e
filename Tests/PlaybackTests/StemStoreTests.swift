import Mixing
import Testing
@testable import Playback

@Suite struct StemStoreTests {
    @Test func appendCopiesEveryStemAndMovesTheFrontier() {
        let stems = testStems(stems: 2, channels: 2, frames: 300)
        let store = StemStore(stems: 2, channels: 2, frames: 300, sampleRate: 44_100)
        #expect(store.separatedFrames == 0)
        store.append(start: 0, frames: 100, stems: stems.map { $0.map { Array($0[..<100]) } })
        #expect(store.separatedFrames == 100 && !store.isComplete)
        store.append(start: 100, frames: 200, stems: stems.map { $0.map { Array($0[100...]) } })
        #expect(store.isComplete)
        for stem in 0..<2 {
            for channel in 0..<2 {
                let plane = UnsafeBufferPointer(start: store.plane(stem: stem, channel: channel), count: 300)
                #expect(Array(plane) == stems[stem][channel])
            }
        }
    }

    @Test func aReaderOnAnotherThreadSeesEverythingBelowTheFrontier() async {
        let frames = 44_100
        let store = StemStore(stems: 1, channels: 1, frames: frames, sampleRate: 44_100)
        let reader = Task.detached {
            var checked = 0
            while checked < frames {
                let frontier = store.separatedFrames
                let plane = store.plane(stem: 0, channel: 0)
                while checked < frontier {
                    if plane[checked] != Float(checked) { return false }
                    checked += 1
                }
            }
            return true
        }
        for start in stride(from: 0, to: frames, by: 441) {
            store.append(start: start, frames: 441, stems: [[(start..<start + 441).map(Float.init)]])
        }
        #expect(await reader.value)
    }
}

@Suite struct MixerControlsStretchTests {
    @Test func tempoKeyAndFormantChoiceTravelTogetherIntact() {
        let controls = MixerControls(state: MixState(stems: ["a"]))
        let settings = StretchSettings(tempo: 0.75, semitones: -2.5, preservesFormants: true)
        controls.stretch = settings
        #expect(controls.stretch == settings)
        controls.stretch = StretchSettings(tempo: 1.5, semitones: 12)
        #expect(controls.stretch == StretchSettings(tempo: 1.5, semitones: 12))
        #expect(!controls.stretch.preservesFormants)
    }
}
