import Foundation
import MappedStorage
import Testing
@testable import StemCache

/// A partial entry for the stems of `musicLikeStems(frames: 10_000)`, in tiles of 4096 frames (three).
private func openPartial(in cache: StemCache, tileFrames: Int = 4096, sources: [String] = ["bass", "drums", "other", "vocals"]) throws -> PartialEntry? {
    try cache.openPartial(
        for: key(), sources: sources, sampleRate: 44100, channelCount: 2, frameCount: 10_000, tileFrames: tileFrames,
        trackName: "Song – ümlaut.flac")
}

/// Writes `tiles` of `stems` into the partial's body as a separation does, marking each done.
private func write(_ tiles: [Int], of stems: CachedStems, into partial: PartialEntry) throws {
    let planes = Array(stems.stems.joined())
    let body = try MappedFloats(fileDescriptor: partial.fileDescriptor, offset: partial.bodyOffset, count: planes.count * partial.frameCount)
    for tile in tiles {
        let frames = partial.frames(ofTile: tile)
        for (index, plane) in planes.enumerated() {
            for frame in frames { body.buffer[index * partial.frameCount + frame] = plane[frame] }
        }
        try partial.markDone(tile)
    }
}

private func partialPath(_ cache: StemCache) -> String { cache.partialURL(for: key()).path }

@Suite("Partial entries")
struct PartialEntryTests {
    @Test func aKilledWritersPartialResumesWithExactlyItsFinishedTiles() throws {
        let cache = try makeCache()
        defer { remove(cache) }
        let stems = try musicLikeStems(frames: 10_000)
        do {
            let partial = try #require(try openPartial(in: cache))
            #expect(partial.doneTiles == [false, false, false])
            try write([0, 2], of: stems, into: partial)
        }  // closed without finish, as a killed process leaves it

        let resumed = try #require(try openPartial(in: cache))
        #expect(resumed.doneTiles == [true, false, true])
        let body = try MappedFloats(fileDescriptor: resumed.fileDescriptor, offset: resumed.bodyOffset, count: 8 * 10_000)
        #expect(Array(body.buffer[0..<4096]) == Array(stems.stems[0][0][0..<4096]))
        #expect(Array(body.buffer[(7 * 10_000 + 8192)..<(8 * 10_000)]) == Array(stems.stems[3][1][8192...]))
        #expect(body.buffer[4096..<8192].allSatisfy { $0 == 0 })
        #expect(cache.load(key()).outcome == "miss")

        try write([1], of: stems, into: resumed)
        try resumed.finish()

        let reader = try #require(cache.load(key()).reader)
        for (original, decoded) in zip(stems.stems.joined(), try decodeAll(reader).joined()) {
            #expect(snr(original, decoded) >= 100)
        }
        #expect(names(in: cache) == ["\(key().hex).stems"])
    }

    @Test func aPartialWithOtherFactsStartsAgain() throws {
        let cache = try makeCache()
        defer { remove(cache) }
        let stems = try musicLikeStems(frames: 10_000)
        do {
            let partial = try #require(try openPartial(in: cache))
            try write([0, 1], of: stems, into: partial)
        }
        do {
            let other = try #require(try openPartial(in: cache, tileFrames: 2048))
            #expect(other.doneTiles == [Bool](repeating: false, count: 5))
        }
        let fewerSources = try #require(try openPartial(in: cache, sources: ["bass", "drums"]))
        #expect(fewerSources.doneTiles == [false, false, false])
        #expect(fewerSources.sources == ["bass", "drums"])
    }

    @Test func aDamagedPartialStartsAgain() throws {
        let cache = try makeCache()
        defer { remove(cache) }
        let stems = try musicLikeStems(frames: 10_000)
        let damages: [(inout Data) -> Void] = [
            { $0[20] ^= 1 },  // the key, under the header's checksum
            { $0.removeLast() },  // a file of the wrong size
            { bytes in  // a bit for a fourth tile, which does not exist
                let header = bytes[12..<16].withUnsafeBytes { Int(UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self))) }
                bytes[header] |= 0x08
            },
        ]
        for damage in damages {
            do {
                let partial = try #require(try openPartial(in: cache))
                try write([0, 1, 2], of: stems, into: partial)
            }
            var bytes = try Data(contentsOf: URL(fileURLWithPath: partialPath(cache)))
            damage(&bytes)
            try bytes.write(to: URL(fileURLWithPath: partialPath(cache)))

            let reopened = try #require(try openPartial(in: cache))
            #expect(reopened.doneTiles == [false, false, false])
        }
    }

    @Test func aSecondWriterOfTheSameKeyGetsNoneUntilTheFirstIsDone() throws {
        let cache = try makeCache()
        defer { remove(cache) }
        let first = try #require(try openPartial(in: cache))

        #expect(try openPartial(in: cache) == nil)

        first.discard()
        #expect(!FileManager.default.fileExists(atPath: partialPath(cache)))
        #expect(try openPartial(in: cache) != nil)
    }

    @Test func finishingBeforeEveryTileIsDoneIsRefused() throws {
        let cache = try makeCache()
        defer { remove(cache) }
        let partial = try #require(try openPartial(in: cache))
        try write([0, 2], of: try musicLikeStems(frames: 10_000), into: partial)

        #expect(throws: StemCacheError.unfinished(path: partialPath(cache), doneTiles: 2, tileCount: 3)) {
            try partial.finish()
        }
        #expect(cache.load(key()).outcome == "miss")
    }

    @Test func listShowsPartialsWithTheirFinishedShare() throws {
        let cache = try makeCache()
        defer { remove(cache) }
        try leaveStalePartial(in: cache, for: key(shifts: 2))
        let live = try #require(try openPartial(in: cache))
        try write([1], of: try musicLikeStems(frames: 10_000), into: live)

        let partials = cache.list().partials.sorted { $0.tileCount < $1.tileCount }

        #expect(partials.map(\.key) == [key(shifts: 2), key()])
        #expect(partials.map(\.doneTiles) == [1, 1] && partials.map(\.tileCount) == [2, 3])
        #expect(partials.map(\.isBeingWritten) == [false, true])
        #expect(partials[1].finishedFraction == 1.0 / 3 && partials[1].trackName == "Song – ümlaut.flac")
        #expect(partials[1].size >= 4 * 8 * 10_000)  // the whole body is reserved on disk up front
        #expect(cache.list().entries.isEmpty)
    }
}
