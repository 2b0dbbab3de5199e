@testable import AtomicFiles
import Crypto
import Foundation
import Testing
@testable import StemCache

/// Music-like stems of 10 000 frames: three blocks, the last one short.
private func sampleStems() throws -> CachedStems { try musicLikeStems(frames: 10_000) }

/// Replaces the bytes of the file at `url` with what `change` makes of them.
private func alter(_ url: URL, _ change: (inout Data) -> Void) throws {
    var bytes = try Data(contentsOf: url)
    change(&bytes)
    try bytes.write(to: url)
}

extension StemCache.Lookup {
    /// "hit", "miss" or "discarded: <reason>", for comparisons.
    var outcome: String {
        switch self {
        case .hit: "hit"
        case .miss: "miss"
        case .discarded(let reason): "discarded: \(reason)"
        }
    }
}

@Suite("Stem cache")
struct StemCacheTests {
    @Test func storedStemsLoadBackAbove100dBWithTheirFacts() throws {
        let cache = try makeCache()
        defer { remove(cache) }
        let stems = try sampleStems()

        try cache.store(stems, for: key())

        let reader = try #require(cache.load(key()).reader)
        #expect(reader.sources == stems.sources && reader.sampleRate == 44100 && reader.channelCount == 2)
        #expect(reader.frameCount == 10_000 && reader.trackName == "Song – ümlaut.flac")
        for (original, decoded) in zip(stems.stems.joined(), try decodeAll(reader).joined()) {
            #expect(snr(original, decoded) >= 100)
        }
        #expect(names(in: cache) == ["\(key().hex).stems"])
    }

    @Test func anUnknownKeyIsAPlainMiss() throws {
        let cache = try makeCache()
        defer { remove(cache) }
        #expect(cache.load(key()).outcome == "miss")
    }

    @Test func anyRangeDecodesToTheSameSamplesAsTheWholeTrack() throws {
        let cache = try makeCache()
        defer { remove(cache) }
        try cache.store(try sampleStems(), for: key())
        let reader = try #require(cache.load(key()).reader)
        let whole = try decodeAll(reader)
        let planes = Array(whole.joined())
        let stride = 10_007  // wider than the track: planes need not touch
        for range in [0..<1, 4095..<4097, 100..<9000, 8192..<10_000, 9999..<10_000, 0..<10_000, 5000..<5000, 4096..<8192] {
            var flat = [Float](repeating: -7, count: planes.count * stride)
            try flat.withUnsafeMutableBufferPointer { try reader.decode(frames: range, into: $0, planeStride: stride) }
            for (index, plane) in planes.enumerated() {
                let start = index * stride
                #expect(Array(flat[(start + range.lowerBound)..<(start + range.upperBound)]) == Array(plane[range]), "\(range)")
                #expect(flat[start..<(start + range.lowerBound)].allSatisfy { $0 == -7 }, "nothing written before \(range)")
                #expect(flat[(start + range.upperBound)..<(start + stride)].allSatisfy { $0 == -7 }, "nothing written after \(range)")
            }
        }
    }

    @Test func aFlippedBlockByteIsFoundWhenThatBlockIsDecodedAndOnlyThen() throws {
        let cache = try makeCache()
        defer { remove(cache) }
        try cache.store(try sampleStems(), for: key())
        let url = cache.url(for: key())
        try alter(url) { $0[$0.count - 5] ^= 0x10 }  // in the last block

        let reader = try #require(cache.load(key()).reader)
        var flat = [Float](repeating: 0, count: 8 * 10_000)
        try flat.withUnsafeMutableBufferPointer { try reader.decode(frames: 0..<8192, into: $0, planeStride: 10_000) }
        #expect {
            try flat.withUnsafeMutableBufferPointer { try reader.decode(frames: 8000..<8200, into: $0, planeStride: 10_000) }
        } throws: { error in
            guard case .damagedEntry(let path, let reason) = error as? StemCacheError else { return false }
            return path == url.path && reason.contains("block 2 checksum")
        }
    }

    @Test func aDamagedHeaderIsAMissAndTheEntryIsRemoved() throws {
        let cache = try makeCache()
        defer { remove(cache) }
        try cache.store(try sampleStems(), for: key())
        let url = cache.url(for: key())
        try alter(url) { $0[EntryFormat.fixedSize + 2] ^= 0x01 }  // inside the first source name

        guard case .discarded(let reason) = cache.load(key()) else {
            Issue.record("a damaged entry must be discarded")
            return
        }
        #expect(reason.contains(url.lastPathComponent) && reason.contains("checksum"))
        #expect(names(in: cache).isEmpty)
    }

    @Test func aTruncatedOrPaddedEntryIsRejectedAtOpen() throws {
        let cache = try makeCache()
        defer { remove(cache) }
        try cache.store(try sampleStems(), for: key())
        let url = cache.url(for: key())
        let bytes = try Data(contentsOf: url)
        for damaged in [bytes.prefix(bytes.count - 1), bytes.prefix(200), bytes.prefix(10), Data(), bytes + [0]] {
            try damaged.write(to: url)
            guard case .discarded(let reason) = cache.load(key()) else {
                Issue.record("a \(damaged.count)-byte entry must be discarded")
                continue
            }
            #expect(reason.contains(url.path))
        }
        #expect(cache.list().entries.isEmpty)
    }

    @Test func aHeaderClaimingHugeCountsIsRejectedEvenWithAValidChecksum() throws {
        let cache = try makeCache()
        defer { remove(cache) }
        try cache.store(try sampleStems(), for: key())
        let url = cache.url(for: key())
        try alter(url) { bytes in
            let size = bytes[12..<16].withUnsafeBytes { Int(UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self))) }
            bytes.replaceSubrange(60..<68, with: [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f])  // frame count
            bytes.replaceSubrange((size - 32)..<size, with: Array(SHA256.hash(data: bytes[..<(size - 32)])))
        }

        #expect(cache.list().entries.isEmpty)
        guard case .discarded(let reason) = cache.load(key()) else {
            Issue.record("an implausible header must be discarded")
            return
        }
        #expect(reason.contains("implausible"))
    }

    @Test func anEntryOfTheFloat32FormatIsASilentMissAndIsRemoved() throws {
        let cache = try makeCache()
        defer { remove(cache) }
        var old = Array("DMXSTEMS".utf8) + [1, 0, 0, 0, 100, 0, 0, 0]
        old += [UInt8](repeating: 0, count: 200)
        try Data(old).write(to: cache.url(for: key()))

        #expect(cache.load(key()).outcome == "miss")
        #expect(names(in: cache).isEmpty)
    }

    @Test func aHalfWrittenTemporaryFileIsIgnoredAndClearedAway() throws {
        let cache = try makeCache()
        defer { remove(cache) }
        try cache.store(try sampleStems(), for: key())
        let partial = cache.directory.appendingPathComponent(".\(key(shifts: 2).hex).stems.AbC123.tmp")
        try Data(try Data(contentsOf: cache.url(for: key())).prefix(500)).write(to: partial)
        let unrelated = cache.directory.appendingPathComponent("notes.txt")
        try Data("keep me".utf8).write(to: unrelated)

        #expect(cache.list().entries.map(\.key) == [key()])
        #expect(cache.load(key(shifts: 2)).outcome == "miss")

        let freed = try cache.clear()

        #expect(freed > 500)
        #expect(names(in: cache) == ["notes.txt"])
    }

    @Test func listDescribesEachEntryAndTheUseOfTheCap() throws {
        let cache = try makeCache(maxSize: 123_456_789)
        defer { remove(cache) }
        let stems = try sampleStems()
        try cache.store(stems, for: key())

        let contents = cache.list()
        let entry = try #require(contents.entries.first)

        #expect(entry.key == key())
        #expect(entry.trackName == "Song – ümlaut.flac")
        #expect(entry.sources == stems.sources)
        #expect(entry.frameCount == 10_000 && entry.sampleRate == 44100)
        #expect(entry.size == (try FileManager.default.attributesOfItem(atPath: cache.url(for: key()).path)[.size] as? Int))
        #expect(abs(entry.lastUsed.timeIntervalSinceNow) < 60)
        #expect(contents.usedSize == entry.size && contents.maxSize == 123_456_789 && contents.partials.isEmpty)
    }

    @Test func everyIngredientChangesTheKey() {
        let keys = [
            key(),
            key(model: "htdemucs_ft:f7e0c4bc-ba3fe64a.th"),
            key(overlap: 0.5),
            key(shifts: 2),
            CacheKey(audio: [[0, 1], [1, 0]], sampleRate: 44100, model: "htdemucs:955717e8-8726e21a.th", overlap: 0.25, shifts: 1),
            CacheKey(audio: [[0, 1], [1, 0]], sampleRate: 48000, model: "htdemucs:955717e8-8726e21a.th", overlap: 0.25, shifts: 1),
            CacheKey(audio: [[0, 1], [1, 1e-7]], sampleRate: 44100,
                     model: "htdemucs:955717e8-8726e21a.th", overlap: 0.25, shifts: 1),
        ]
        #expect(Set(keys).count == keys.count)
        #expect(key() == key())
        #expect(CacheKey(hex: key().hex) == key())
    }

    @Test func clearRemovesEveryEntry() throws {
        let cache = try makeCache()
        defer { remove(cache) }
        try cache.store(try sampleStems(), for: key())
        try cache.store(try sampleStems(), for: key(overlap: 0.5))
        try leaveStalePartial(in: cache, for: key(shifts: 3))
        let live = try #require(try openSmallPartial(in: cache, for: key(shifts: 4)))
        #expect(cache.list().entries.count == 2 && cache.list().partials.count == 2)

        try cache.clear()

        #expect(cache.list().entries.isEmpty && names(in: cache) == ["\(key(shifts: 4).hex).partial"])
        #expect(cache.load(key()).outcome == "miss")
        live.discard()
    }

    @Test func anEntryThatIsADirectoryIsDiscardedAndRemovedSoStoreSucceeds() throws {
        let cache = try makeCache()
        defer { remove(cache) }
        let entry = cache.url(for: key())
        try FileManager.default.createDirectory(at: entry.appendingPathComponent("inside"), withIntermediateDirectories: true)
        try Data("x".utf8).write(to: entry.appendingPathComponent("inside/file"))

        #expect(cache.load(key()).outcome == "discarded: \(entry.path): a directory, not a cache entry file; removed it")
        #expect(names(in: cache).isEmpty)

        try cache.store(try sampleStems(), for: key())
        #expect(cache.load(key()).outcome == "hit")
    }

    @Test func anEntryThatIsALinkIsRemovedWithoutTouchingItsTarget() throws {
        let cache = try makeCache()
        defer { remove(cache) }
        try cache.store(try sampleStems(), for: key())
        let outside = cache.directory.appendingPathComponent("elsewhere")
        try FileManager.default.moveItem(at: cache.url(for: key()), to: outside)
        try FileManager.default.createSymbolicLink(at: cache.url(for: key()), withDestinationURL: outside)

        #expect(cache.load(key()).outcome == "discarded: \(cache.url(for: key()).path): a symbolic link, not a cache entry file; removed it")
        #expect(names(in: cache) == ["elsewhere"])
    }

    @Test func clearRemovesAnEntryThatIsADirectory() throws {
        let cache = try makeCache()
        defer { remove(cache) }
        try FileManager.default.createDirectory(at: cache.url(for: key()).appendingPathComponent("inside"), withIntermediateDirectories: true)

        try cache.clear()

        #expect(names(in: cache).isEmpty)
    }

    @Test func staleTemporariesAreListedAndRemovedButNotLiveWritesNorOtherFiles() throws {
        let cache = try makeCache()
        defer { remove(cache) }
        let stale = cache.directory.appendingPathComponent(".\(key().hex).stems.Q1w2E3.tmp")
        try Data(count: 3000).write(to: stale)
        let notOurs = cache.directory.appendingPathComponent(".notes.txt.Q1w2E3.tmp")
        try Data(count: 10).write(to: notOurs)
        let live = try StagedWrite(destination: cache.url(for: key(overlap: 0.5)).path)
        try live.append(contentsOf: [1, 2, 3])

        #expect(cache.staleTemporaries() == [StaleTemporary(path: stale.path, destinationName: "\(key().hex).stems", size: 3000)])
        #expect(try cache.removeStaleTemporaries() == 3000)

        #expect(names(in: cache).sorted() == [notOurs.lastPathComponent, (live.temporaryPath as NSString).lastPathComponent].sorted())
        #expect(try cache.clear() == 0)
        #expect(FileManager.default.fileExists(atPath: live.temporaryPath))
        live.discard()
    }

    @Test func stemsOfMismatchedShapeAreRefused() {
        #expect(throws: StemCacheError.self) {
            try CachedStems(sources: ["a", "b"], sampleRate: 44100, trackName: "x", stems: [[[0, 1]], [[0]]])
        }
        #expect(throws: StemCacheError.self) {
            try CachedStems(sources: ["a"], sampleRate: 44100, trackName: "x", stems: [[[0]], [[0]]])
        }
    }
}
