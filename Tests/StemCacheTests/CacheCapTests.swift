import Foundation
import Testing
@testable import StemCache

/// Sets the last-use time of the file at `path` to `seconds` after the epoch.
private func setLastUse(_ path: String, _ seconds: Int) {
    var times = [timespec(tv_sec: seconds, tv_nsec: 0), timespec(tv_sec: seconds, tv_nsec: 0)]
    utimensat(AT_FDCWD, path, &times, 0)
}

private func entryNames(_ cache: StemCache) -> Set<String> { Set(names(in: cache)) }

private func entryName(_ key: CacheKey) -> String { "\(key.hex).stems" }

@Suite("Stem cache size cap")
struct CacheCapTests {
    private let stems: CachedStems
    private let a = key(), b = key(overlap: 0.5), c = key(shifts: 2), d = key(shifts: 3)

    init() throws { stems = try musicLikeStems(frames: 10_000) }

    /// The size of one entry of `stems`.
    private func entrySize() throws -> Int {
        let cache = try makeCache()
        defer { remove(cache) }
        try cache.store(stems, for: a)
        return cache.list().usedSize
    }

    @Test func theLeastRecentlyUsedEntryGoesFirst() throws {
        let size = try entrySize()
        let cache = try makeCache(maxSize: size * 5 / 2)
        defer { remove(cache) }
        try cache.store(stems, for: a)
        try cache.store(stems, for: b)
        setLastUse(cache.url(for: a).path, 2000)
        setLastUse(cache.url(for: b).path, 1000)

        try cache.store(stems, for: c)

        #expect(entryNames(cache) == [entryName(a), entryName(c)])
        #expect(cache.list().usedSize <= cache.maxSize)
    }

    @Test func aHitMakesAnEntryTheMostRecentlyUsed() throws {
        let size = try entrySize()
        let cache = try makeCache(maxSize: size * 5 / 2)
        defer { remove(cache) }
        try cache.store(stems, for: a)
        try cache.store(stems, for: b)
        setLastUse(cache.url(for: a).path, 1000)
        setLastUse(cache.url(for: b).path, 2000)

        #expect(cache.load(a).outcome == "hit")
        try cache.store(stems, for: c)

        #expect(entryNames(cache) == [entryName(a), entryName(c)])
    }

    @Test func theEntryJustWrittenIsKeptEvenWhenItAloneExceedsTheCap() throws {
        let cache = try makeCache(maxSize: 1000)
        defer { remove(cache) }
        try cache.store(stems, for: a)
        #expect(entryNames(cache) == [entryName(a)])

        try cache.store(stems, for: b)

        #expect(entryNames(cache) == [entryName(b)])
        #expect(cache.load(b).outcome == "hit")
    }

    @Test func aPartialBeingWrittenIsNeitherEvictedNorLoaded() throws {
        let cache = try makeCache(maxSize: 1000)
        defer { remove(cache) }
        let live = try #require(try openSmallPartial(in: cache, for: a))
        try live.markDone(0)
        setLastUse(cache.partialURL(for: a).path, 1000)

        try cache.store(stems, for: b)
        try cache.store(stems, for: c)

        #expect(entryNames(cache) == ["\(a.hex).partial", entryName(c)])
        #expect(cache.load(a).outcome == "miss")
        #expect(live.doneTiles == [true, false])
    }

    @Test func unreadableFilesGoFirstThenStalePartialsAndEntriesOldestFirst() throws {
        let cache = try makeCache()
        defer { remove(cache) }
        let kept = key(shifts: 9)
        try leaveStalePartial(in: cache, for: a)
        try cache.store(stems, for: b)
        try leaveStalePartial(in: cache, for: c)
        try cache.store(stems, for: kept)
        try Data("DMXSTEMS\u{1}\0\0\0".utf8).write(to: cache.url(for: d))  // the float32 format
        setLastUse(cache.partialURL(for: a).path, 1000)
        setLastUse(cache.url(for: b).path, 2000)
        setLastUse(cache.partialURL(for: c).path, 3000)
        let entry = try #require(cache.list().entries.first?.size)
        let partial = try #require(cache.list().partials.first?.size)

        try StemCache(directory: cache.directory, maxSize: entry + partial + entry).enforceCap(keeping: kept)
        #expect(entryNames(cache) == [entryName(b), "\(c.hex).partial", entryName(kept)])

        try StemCache(directory: cache.directory, maxSize: partial + entry).enforceCap(keeping: kept)
        #expect(entryNames(cache) == ["\(c.hex).partial", entryName(kept)])

        try StemCache(directory: cache.directory, maxSize: entry).enforceCap(keeping: kept)
        #expect(entryNames(cache) == [entryName(kept)])
    }

    @Test func anEntryTakesAtMostHalfTheBytesOfFloat32() throws {
        let cache = try makeCache()
        defer { remove(cache) }
        let long = try musicLikeStems(frames: 3 * 44100)
        try cache.store(long, for: a)

        let float32 = 4 * long.stems.count * long.channelCount * long.frameCount
        #expect(cache.list().usedSize * 2 <= float32)
    }
}
