import Foundation
import Mixing
import Testing
@testable import Playback

@Suite struct StemStoreTests {
    /// 1 050 frames in tiles of 100: ten whole tiles and a last one of 50.
    func tiledStore() -> StemStore {
        try! StemStore(stems: 1, channels: 1, frames: 1_050, sampleRate: 44_100, tileFrames: 100)
    }

    @Test func appendCopiesEveryStemAndPublishesEachTileWrittenToItsEnd() throws {
        let stems = testStems(stems: 2, channels: 2, frames: 250)
        let store = try StemStore(stems: 2, channels: 2, frames: 250, sampleRate: 44_100, tileFrames: 100)
        #expect(store.tileCount == 3)
        #expect(store.separatedFrames == 0)
        store.append(start: 0, frames: 150, stems: stems.map { $0.map { Array($0[..<150]) } })
        #expect(store.isSeparated(tile: 0) && !store.isSeparated(tile: 1))
        #expect(store.separatedFrames == 100 && !store.isComplete)
        store.append(start: 150, frames: 100, stems: stems.map { $0.map { Array($0[150...]) } })
        #expect(store.isComplete)
        #expect(store.separatedRanges() == [0..<250])
        for stem in 0..<2 {
            for channel in 0..<2 {
                #expect(Array(store.plane(stem: stem, channel: channel)) == stems[stem][channel])
            }
        }
        #expect(store.stems(in: 0..<store.frameCount) == stems)
    }

    @Test func aReaderOnAnotherThreadSeesEverySeparatedTileWritten() async throws {
        let frames = 44_100
        let store = try StemStore(stems: 1, channels: 1, frames: frames, sampleRate: 44_100, tileFrames: 441)
        let reader = Task.detached {
            var checked = 0
            while checked < frames {
                let end = store.separatedEnd(from: checked)
                let plane = store.plane(stem: 0, channel: 0)
                while checked < end {
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

    @Test func separateTilesAreSeparateRanges() {
        let store = tiledStore()
        store.markSeparated(tile: 1)
        store.markSeparated(tile: 3)
        #expect(store.separatedRanges() == [100..<200, 300..<400])
        #expect(store.separatedFrames == 200)
    }

    @Test func adjacentTilesMergeIntoOneRangeAcrossBitmapWords() throws {
        let store = try StemStore(stems: 1, channels: 1, frames: 1_005, sampleRate: 44_100, tileFrames: 10)
        for tile in [2, 3, 62, 63, 64, 65] {
            store.markSeparated(tile: tile)
        }
        #expect(store.separatedRanges() == [20..<40, 620..<660])
        #expect(store.separatedEnd(from: 625) == 660)
    }

    @Test func theShortLastTileEndsItsRangeAtTheEndOfTheTrack() {
        let store = tiledStore()
        store.markSeparated(tile: 9)
        store.markSeparated(tile: 10)
        #expect(store.separatedRanges() == [900..<1_050])
        #expect(store.separatedFrames == 150)
        #expect(store.separatedEnd(from: 1_049) == 1_050)
    }

    @Test func everyTileSeparatedIsOneRangeAsLongAsTheTrack() {
        let store = tiledStore()
        for tile in (0..<store.tileCount).reversed() {
            #expect(!store.isComplete)
            store.markSeparated(tile: tile)
        }
        #expect(store.isComplete)
        #expect(store.separatedFrames == 1_050)
        #expect(store.separatedRanges() == [0..<1_050])
        #expect(store.separatedEnd(from: 0) == 1_050)
    }

    @Test func separatedEndStopsAtTheFirstTileNotSeparated() {
        let store = tiledStore()
        store.markSeparated(tile: 1)
        store.markSeparated(tile: 2)
        #expect(store.separatedEnd(from: 0) == 0)
        #expect(store.separatedEnd(from: 99) == 99)
        #expect(store.separatedEnd(from: 100) == 300)
        #expect(store.separatedEnd(from: 299) == 300)
        #expect(store.separatedEnd(from: 300) == 300)
        #expect(store.separatedEnd(from: 1_050) == 1_050)
    }

    @Test func writesOutOfOrderReadBackFromTheTemporaryMapping() throws {
        let store = try StemStore(stems: 2, channels: 2, frames: 1_000, sampleRate: 44_100, tileFrames: 100)
        let late = testStems(stems: 2, channels: 2, frames: 200)
        let early = testStems(stems: 2, channels: 2, frames: 100).map { $0.map { $0.map { -$0 } } }
        store.write(start: 700, stems: late)
        store.write(start: 100, stems: early)
        for stem in 0..<2 {
            for channel in 0..<2 {
                let plane = store.plane(stem: stem, channel: channel)
                #expect(Array(plane[700..<900]) == late[stem][channel])
                #expect(Array(plane[100..<200]) == early[stem][channel])
                #expect(plane[200..<700].allSatisfy { $0 == 0 })
            }
        }
        // Plane by plane, `[stem][channel][frame]`.
        #expect(store.samples[(1 * 2 + 1) * 1_000 + 700] == late[1][1][0])
        #expect(try mappedFile(of: store) != nil)
    }

    @Test func theTemporaryFileHasNoNameInTheDirectory() throws {
        let store = try StemStore(stems: 4, channels: 2, frames: 44_100, sampleRate: 44_100)
        let file = try #require(try mappedFile(of: store))
        let directory = FileManager.default.temporaryDirectory.resolvingSymlinksInPath().path
        #expect(file.hasPrefix(directory + "/"))
        #expect(file.hasSuffix(" (deleted)"))
        #expect(!FileManager.default.fileExists(atPath: String(file.dropLast(" (deleted)".count))))
    }

    /// The file `store`'s samples are mapped from, as `/proc/self/maps` names it; nil
    /// when they are anonymous memory.
    func mappedFile(of store: StemStore) throws -> String? {
        let start = String(UInt(bitPattern: store.samples.baseAddress!), radix: 16)
        let maps = try String(contentsOfFile: "/proc/self/maps", encoding: .utf8)
        guard let line = maps.split(separator: "\n").first(where: { $0.hasPrefix(start + "-") }) else { return nil }
        // Address, permissions, offset, device, inode, then the path.
        let path = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true).dropFirst(5).first
        return path.map { String($0.drop { $0 == " " }) }.flatMap { $0.hasPrefix("/") ? $0 : nil }
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
