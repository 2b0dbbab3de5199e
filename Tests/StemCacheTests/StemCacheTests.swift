@testable import AtomicFiles
import Foundation
import Testing
@testable import StemCache

/// A cache in a fresh temporary directory.
private func makeCache() throws -> StemCache {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("StemCacheTests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return StemCache(directory: directory)
}

private func remove(_ cache: StemCache) { try? FileManager.default.removeItem(at: cache.directory) }

private let audio: [[Float]] = [(0..<1000).map { sin(Float($0) * 0.01) }, (0..<1000).map { cos(Float($0) * 0.02) }]

private func key(model: String = "htdemucs:955717e8-8726e21a.th", overlap: Double = 0.25, shifts: Int = 1) -> CacheKey {
    CacheKey(audio: audio, sampleRate: 44100, model: model, overlap: overlap, shifts: shifts)
}

/// Four stems of 100 000 frames (more than one write chunk), each a distinct ramp.
private func sampleStems() throws -> CachedStems {
    func ramp(_ offset: Float) -> [Float] { (0..<100_000).map { offset + Float($0) * 1e-5 } }
    let stems: [[[Float]]] = (0..<4).map { s in [ramp(Float(10 * s)), ramp(Float(10 * s + 1))] }
    return try CachedStems(sources: ["drums", "bass", "other", "vocals"], sampleRate: 44100, trackName: "Song – ümlaut.flac", stems: stems)
}

private func names(in cache: StemCache) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: cache.directory.path)) ?? []).sorted()
}

@Suite("Stem cache")
struct StemCacheTests {
    @Test func storedStemsLoadBackIdentically() throws {
        let cache = try makeCache()
        defer { remove(cache) }
        let stems = try sampleStems()

        try cache.store(stems, for: key())

        #expect(cache.load(key()) == .hit(stems))
        #expect(names(in: cache) == ["\(key().hex).stems"])
    }

    @Test func anUnknownKeyIsAPlainMiss() throws {
        let cache = try makeCache()
        defer { remove(cache) }
        #expect(cache.load(key()) == .miss)
    }

    @Test func aFlippedBodyByteIsAMissAndTheEntryIsRemoved() throws {
        let cache = try makeCache()
        defer { remove(cache) }
        try cache.store(try sampleStems(), for: key())
        let url = cache.url(for: key())
        var bytes = try Data(contentsOf: url)
        bytes[bytes.count - 5] ^= 0x10
        try bytes.write(to: url)

        guard case .discarded(let reason) = cache.load(key()) else {
            Issue.record("a damaged entry must be discarded")
            return
        }
        #expect(reason.contains(url.lastPathComponent) && reason.contains("checksum"))
        #expect(names(in: cache).isEmpty)
        #expect(cache.load(key()) == .miss)
    }

    @Test func aDamagedHeaderNameIsCaughtByTheChecksum() throws {
        let cache = try makeCache()
        defer { remove(cache) }
        try cache.store(try sampleStems(), for: key())
        let url = cache.url(for: key())
        var bytes = try Data(contentsOf: url)
        bytes[EntryFormat.fixedSize + 2] ^= 0x01  // inside the first source name
        try bytes.write(to: url)

        #expect(cache.load(key()).stems == nil)
        #expect(names(in: cache).isEmpty)
    }

    @Test func aTruncatedEntryIsAMiss() throws {
        let cache = try makeCache()
        defer { remove(cache) }
        try cache.store(try sampleStems(), for: key())
        let url = cache.url(for: key())
        let bytes = try Data(contentsOf: url)
        for length in [bytes.count - 1, 200, 10, 0] {
            try bytes.prefix(length).write(to: url)
            guard case .discarded(let reason) = cache.load(key()) else {
                Issue.record("a \(length)-byte entry must be discarded")
                continue
            }
            #expect(reason.contains(url.path))
        }
        #expect(cache.list().isEmpty)
    }

    @Test func aHeaderClaimingHugeCountsIsRejectedWithoutAllocating() throws {
        let cache = try makeCache()
        defer { remove(cache) }
        try cache.store(try sampleStems(), for: key())
        let url = cache.url(for: key())
        var bytes = try Data(contentsOf: url)
        bytes.replaceSubrange(56..<64, with: [UInt8](repeating: 0xff, count: 8))  // frame count
        try bytes.write(to: url)

        #expect(cache.list().isEmpty)
        #expect(cache.load(key()).stems == nil)
    }

    @Test func aHalfWrittenTemporaryFileIsIgnoredAndClearedAway() throws {
        let cache = try makeCache()
        defer { remove(cache) }
        try cache.store(try sampleStems(), for: key())
        let partial = cache.directory.appendingPathComponent(".\(key(shifts: 2).hex).stems.AbC123.tmp")
        try Data(try Data(contentsOf: cache.url(for: key())).prefix(500)).write(to: partial)
        let unrelated = cache.directory.appendingPathComponent("notes.txt")
        try Data("keep me".utf8).write(to: unrelated)

        #expect(cache.list().map(\.key) == [key()])
        #expect(cache.load(key(shifts: 2)) == .miss)

        let freed = try cache.clear()

        #expect(freed > 500)
        #expect(names(in: cache) == ["notes.txt"])
    }

    @Test func listDescribesEachEntry() throws {
        let cache = try makeCache()
        defer { remove(cache) }
        let stems = try sampleStems()
        try cache.store(stems, for: key())

        let entry = try #require(cache.list().first)

        #expect(entry.key == key())
        #expect(entry.trackName == "Song – ümlaut.flac")
        #expect(entry.sources == stems.sources)
        #expect(entry.frameCount == 100_000 && entry.sampleRate == 44100)
        #expect(entry.size == 4 * 2 * 100_000 * 4 + EntryFormat.header(for: stems, key: key()).count)
        #expect(abs(entry.date.timeIntervalSinceNow) < 60)
    }

    @Test func everyIngredientChangesTheKey() {
        let keys = [
            key(),
            key(model: "htdemucs_ft:f7e0c4bc-ba3fe64a.th"),
            key(overlap: 0.5),
            key(shifts: 2),
            CacheKey(audio: audio, sampleRate: 48000, model: "htdemucs:955717e8-8726e21a.th", overlap: 0.25, shifts: 1),
            CacheKey(audio: [audio[0], audio[1].map { $0 + 1e-7 }], sampleRate: 44100,
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
        #expect(cache.list().count == 2)

        try cache.clear()

        #expect(cache.list().isEmpty && names(in: cache).isEmpty)
        #expect(cache.load(key()) == .miss)
    }

    @Test func anEntryThatIsADirectoryIsDiscardedAndRemovedSoStoreSucceeds() throws {
        let cache = try makeCache()
        defer { remove(cache) }
        let entry = cache.url(for: key())
        try FileManager.default.createDirectory(at: entry.appendingPathComponent("inside"), withIntermediateDirectories: true)
        try Data("x".utf8).write(to: entry.appendingPathComponent("inside/file"))

        #expect(cache.load(key()) == .discarded(reason: "\(entry.path): a directory, not a cache entry file; removed it"))
        #expect(names(in: cache).isEmpty)

        let stems = try sampleStems()
        try cache.store(stems, for: key())
        #expect(cache.load(key()) == .hit(stems))
    }

    @Test func anEntryThatIsALinkIsRemovedWithoutTouchingItsTarget() throws {
        let cache = try makeCache()
        defer { remove(cache) }
        try cache.store(try sampleStems(), for: key())
        let outside = cache.directory.appendingPathComponent("elsewhere")
        try FileManager.default.moveItem(at: cache.url(for: key()), to: outside)
        try FileManager.default.createSymbolicLink(at: cache.url(for: key()), withDestinationURL: outside)

        #expect(cache.load(key()) == .discarded(reason: "\(cache.url(for: key()).path): a symbolic link, not a cache entry file; removed it"))
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
