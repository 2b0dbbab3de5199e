import AtomicFiles
import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The stems of a separation in progress, `<key>.partial` in the cache directory, so
/// that an interrupted run keeps the tiles it finished and the next one resumes.
///
/// The file is the `EntryFormat` header (magic `DMXPARTL`, no table, units of
/// `tileFrames`), a bitmap of the finished tiles (bit `t % 8` of byte `t / 8`), zeros up to
/// `bodyOffset` (a multiple of the page size) and the body: float32 samples, planar
/// `[source][channel][frame]`, `frameCount` frames a plane. The body is sparse, so the
/// disk fills as tiles are written. The writer holds an exclusive `flock` on the file
/// for its lifetime: a locked partial is never evicted, and a second writer of the same
/// key gets none. A tile's bit is persisted only after its samples are (see
/// `markDone`), so a crash or power loss never shows an unfinished tile as done.
///
/// `@unchecked Sendable`: the finished-tile state is behind a lock; who writes which
/// part of the body when is the caller's rule.
public final class PartialEntry: @unchecked Sendable {
    public let sources: [String]
    public let sampleRate: Int
    public let channelCount: Int
    public let frameCount: Int
    public let tileFrames: Int
    public let trackName: String
    /// The open file, read-write; it stays open (and locked) until `finish()` or
    /// `discard()`, or until this object goes away.
    public let fileDescriptor: Int32
    /// Where the float32 body starts in the file: a multiple of the page size, for
    /// `MappedFloats(fileDescriptor:offset:count:)` with `count` `sources.count ×
    /// channelCount × frameCount`.
    public let bodyOffset: Int
    /// The partial file.
    public let path: String

    private let cache: StemCache
    private let key: CacheKey
    private let facts: EntryFormat.Facts
    private let bitmapOffset: Int
    private let state: Mutex<State>

    private struct State {
        var done: [Bool]
        var isOpen = true
    }

    static let magic = Array("DMXPARTL".utf8)
    static let version: UInt32 = 1

    /// Tiles already finished on disk when opened, plus those marked since.
    public var doneTiles: [Bool] { state.withLock { $0.done } }

    /// The frames of tile `index`.
    public func frames(ofTile index: Int) -> Range<Int> { facts.frames(ofUnit: index) }

    private init(cache: StemCache, key: CacheKey, path: String, facts: EntryFormat.Facts, descriptor: Int32, layout: Layout, done: [Bool]) {
        self.cache = cache
        self.key = key
        self.path = path
        self.facts = facts
        sources = facts.sources
        sampleRate = facts.sampleRate
        channelCount = facts.channelCount
        frameCount = facts.frameCount
        tileFrames = facts.unitFrames
        trackName = facts.trackName
        fileDescriptor = descriptor
        bitmapOffset = layout.bitmapOffset
        bodyOffset = layout.bodyOffset
        state = Mutex(State(done: done))
    }

    deinit { if state.withLock({ $0.isOpen }) { close(fileDescriptor) } }

    /// Records that tile `index` is in the body: syncs the file's data first, then sets
    /// and syncs the tile's bit, so the bit never reaches the disk before the samples.
    public func markDone(_ index: Int) throws(StemCacheError) {
        precondition(facts.unitCount > index && index >= 0, "tile \(index) of \(facts.unitCount)")
        guard fdatasync(fileDescriptor) == 0 else { throw failure("syncing the finished tile \(index)") }
        let failure: StemCacheError? = state.withLock { state in
            state.done[index] = true
            let first = index / 8 * 8
            var byte: UInt8 = 0
            for tile in first..<min(first + 8, state.done.count) where state.done[tile] { byte |= 1 << (tile - first) }
            let written = withUnsafeBytes(of: byte) { writeFully(fileDescriptor, $0, at: bitmapOffset + index / 8) }
            guard written, fdatasync(fileDescriptor) == 0 else { return self.failure("recording the finished tile \(index)") }
            return nil
        }
        if let failure { throw failure }
    }

    /// Encodes the body as a complete entry (block by block, read with `pread`, so the
    /// track is never all in memory), installs it atomically, deletes the partial and
    /// then keeps the cache within its cap (see `StemCache.enforceCap(keeping:)`).
    /// Every tile must be marked done; afterwards this object is closed.
    /// Block `block` of the compact entry read from the body and encoded, using
    /// `samples` (room for one block of every plane) as scratch; nil when a read fails.
    private func encodedBlock(
        _ block: Int, of entryFacts: EntryFormat.Facts, using samples: UnsafeMutableBufferPointer<Float>
    ) -> [UInt8]? {
        let frames = entryFacts.frames(ofUnit: block)
        var planes: [UnsafeBufferPointer<Float>] = []
        for plane in 0..<facts.planeCount {
            let target = UnsafeMutableBufferPointer(rebasing: samples[(plane * frames.count)..<((plane + 1) * frames.count)])
            let offset = bodyOffset + 4 * (plane * frameCount + frames.lowerBound)
            guard readFully(fileDescriptor, into: UnsafeMutableRawBufferPointer(target), at: offset) == 4 * frames.count else {
                return nil
            }
            planes.append(UnsafeBufferPointer(target))
        }
        return EntryFormat.block(block, planes: planes)
    }

    public func finish() throws(StemCacheError) {
        let done = doneTiles.count { $0 }
        guard done == facts.unitCount else { throw .unfinished(path: path, doneTiles: done, tileCount: facts.unitCount) }
        var entryFacts = facts
        entryFacts.unitFrames = EntryFormat.blockFrames
        let staged: StagedWrite
        do {
            staged = try StagedWrite(destination: cache.url(for: key).path)
        } catch {
            throw StemCacheError(error)
        }
        do throws(StemCacheError) {
            let headerSize = EntryFormat.headerSize(of: entryFacts, tableCount: entryFacts.unitCount)
            try staging { () throws(FileFailure) in try staged.append(contentsOf: [UInt8](repeating: 0, count: headerSize)) }
            var ends: [UInt64] = []
            var end = 0
            // Blocks are encoded a batch at a time on every core, then written in order.
            let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
            let batch = 8 * cores
            let blockFacts = entryFacts
            for first in stride(from: 0, to: blockFacts.unitCount, by: batch) {
                let count = min(batch, blockFacts.unitCount - first)
                let encoded = Mutex([[UInt8]?](repeating: nil, count: count))
                DispatchQueue.concurrentPerform(iterations: cores) { worker in
                    let samples = UnsafeMutableBufferPointer<Float>.allocate(capacity: facts.planeCount * EntryFormat.blockFrames)
                    defer { samples.deallocate() }
                    for index in stride(from: worker, to: count, by: cores) {
                        let bytes = encodedBlock(first + index, of: blockFacts, using: samples)
                        encoded.withLock { $0[index] = bytes }
                    }
                }
                for bytes in encoded.withLock({ $0 }) {
                    guard let bytes else { throw failure("reading the separated samples") }
                    try staging { () throws(FileFailure) in try staged.append(contentsOf: bytes) }
                    end += bytes.count
                    ends.append(UInt64(end))
                }
            }
            let header = EntryFormat.header(magic: EntryFormat.entryMagic, version: EntryFormat.version, facts: entryFacts, table: ends)
            try staging { () throws(FileFailure) in
                try staged.overwrite(contentsOf: header, at: 0)
                try staged.commit()
                try staged.syncDirectory()
            }
        } catch {
            staged.discard()
            throw error
        }
        discard()
        try cache.enforceCap(keeping: key)
    }

    /// Deletes the partial file and closes it (a finished or discarded entry is left alone).
    public func discard() {
        state.withLock { state in
            guard state.isOpen else { return }
            unlink(path)  // still locked: no other writer has it open
            close(fileDescriptor)
            state.isOpen = false
        }
    }

    private func staging(_ body: () throws(FileFailure) -> Void) throws(StemCacheError) {
        do {
            try body()
        } catch {
            throw StemCacheError(error)
        }
    }

    private func failure(_ operation: String) -> StemCacheError {
        .fileSystem(path: path, operation: operation, reason: String(cString: strerror(errno)))
    }

    // MARK: the file

    /// Where the parts of a partial file with a header of `headerSize` bytes lie.
    struct Layout {
        var bitmapOffset: Int
        var bodyOffset: Int
        var fileSize: Int

        init(facts: EntryFormat.Facts, headerSize: Int) {
            let page = Int(sysconf(Int32(_SC_PAGESIZE)))
            bitmapOffset = headerSize
            bodyOffset = (headerSize + (facts.unitCount + 7) / 8 + page - 1) / page * page
            fileSize = bodyOffset + 4 * facts.planeCount * facts.frameCount
        }
    }

    /// Reads and checks the partial file open as `fd`: header, size, bitmap. Hostile input:
    /// nothing is allocated beyond what the file's real size allows.
    static func read(_ fd: Int32) throws(EntryFormat.Problem) -> (facts: EntryFormat.Facts, layout: Layout, done: [Bool]) {
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw EntryFormat.Problem(description: "unreadable (\(String(cString: strerror(errno))))") }
        let fileSize = Int(status.st_size)
        let (facts, _, headerSize) = try EntryFormat.readHeader(of: fd, fileSize: fileSize, magic: magic, version: version) { _ in 0 }
        let layout = Layout(facts: facts, headerSize: headerSize)
        guard layout.fileSize == fileSize else {
            throw EntryFormat.Problem(description: "\(facts.frameCount) frames need a \(layout.fileSize)-byte file, it holds \(fileSize)")
        }
        let bitmap = try EntryFormat.read(fd, at: layout.bitmapOffset, count: (facts.unitCount + 7) / 8, fileSize: fileSize)
        let done = (0..<(bitmap.count * 8)).map { bitmap[$0 / 8] & (1 << ($0 % 8)) != 0 }
        guard !done[facts.unitCount...].contains(true) else { throw EntryFormat.Problem(description: "the tile bitmap has stray bits") }
        return (facts, layout, Array(done[..<facts.unitCount]))
    }

    /// Opens `path` for `facts` (locked, keeping its finished tiles when its header
    /// matches them, else emptied and laid out afresh); nil when another writer holds it.
    static func opened(cache: StemCache, key: CacheKey, path: String, facts: EntryFormat.Facts) throws(StemCacheError) -> PartialEntry? {
        guard let fd = try lockedFile(at: path) else { return nil }
        if let existing = try? read(fd), existing.facts.withTrackName(facts.trackName) == facts {
            try reserve(fd, bytes: existing.layout.fileSize, path: path)
            return PartialEntry(cache: cache, key: key, path: path, facts: facts, descriptor: fd, layout: existing.layout, done: existing.done)
        }
        let header = EntryFormat.header(magic: magic, version: version, facts: facts, table: [])
        let layout = Layout(facts: facts, headerSize: header.count)
        let written = header.withUnsafeBytes { bytes in
            ftruncate(fd, 0) == 0 && writeFully(fd, bytes, at: 0) && ftruncate(fd, off_t(layout.fileSize)) == 0 && fdatasync(fd) == 0
        }
        guard written else {
            let failure = StemCacheError.fileSystem(path: path, operation: "creating the partial entry", reason: String(cString: strerror(errno)))
            close(fd)
            throw failure
        }
        try reserve(fd, bytes: layout.fileSize, path: path)
        return PartialEntry(
            cache: cache, key: key, path: path, facts: facts, descriptor: fd, layout: layout,
            done: [Bool](repeating: false, count: facts.unitCount))
    }

    /// Reserves the whole file's disk space, so that writing tiles through a mapping never
    /// meets a full disk (a fault, not an error); closes `fd` and throws when there is no room.
    private static func reserve(_ fd: Int32, bytes: Int, path: String) throws(StemCacheError) {
        let result = posix_fallocate(fd, 0, off_t(bytes))
        guard result == 0 else {
            close(fd)
            throw .fileSystem(path: path, operation: "reserving \(bytes) bytes for the partial entry", reason: String(cString: strerror(result)))
        }
    }

    /// `path` opened read-write (created if missing) and locked exclusively; nil when
    /// someone else holds the lock. Whatever is at `path` and is not a regular file is
    /// removed first; a file unlinked while waiting for the lock is opened again.
    private static func lockedFile(at path: String) throws(StemCacheError) -> Int32? {
        while true {
            var status = stat()
            if lstat(path, &status) == 0, nonRegularFileKind(status.st_mode) != nil {
                try StemCache.removeEntry(at: path)
            }
            let fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw .fileSystem(path: path, operation: "opening the partial entry", reason: String(cString: strerror(errno)))
            }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                let code = errno
                close(fd)
                if code == EWOULDBLOCK { return nil }
                throw .fileSystem(path: path, operation: "locking the partial entry", reason: String(cString: strerror(code)))
            }
            var opened = stat()
            var named = stat()
            if fstat(fd, &opened) == 0, lstat(path, &named) == 0, opened.st_ino == named.st_ino, opened.st_dev == named.st_dev {
                return fd
            }
            close(fd)
        }
    }
}

extension EntryFormat.Facts {
    func withTrackName(_ name: String) -> Self {
        var facts = self
        facts.trackName = name
        return facts
    }
}

extension StemCache {
    /// Opens or creates the partial entry for `key` and locks it for this writer's
    /// lifetime; returns nil when another writer (another process, or another
    /// `PartialEntry` here) holds it. An existing partial with the same facts keeps its
    /// finished tiles; one with other facts (sources, sample rate, channels, frames,
    /// tile size), or damaged, is emptied and started again. The track name may differ.
    public func openPartial(
        for key: CacheKey, sources: [String], sampleRate: Int, channelCount: Int, frameCount: Int,
        tileFrames: Int, trackName: String
    ) throws(StemCacheError) -> PartialEntry? {
        guard !sources.isEmpty, sources.count <= EntryFormat.maxSources,
            (1...EntryFormat.maxChannels).contains(channelCount), sampleRate > 0, sampleRate <= Int(UInt32.max),
            frameCount >= 0, frameCount <= Int.max / (4 * EntryFormat.maxChannels * EntryFormat.maxSources),
            (1...EntryFormat.maxUnitFrames).contains(tileFrames)
        else {
            throw .invalidStems("\(sources.count) sources, \(channelCount) channels, \(sampleRate) Hz, \(frameCount) frames in tiles of \(tileFrames)")
        }
        try createDirectory()
        let facts = EntryFormat.Facts(
            key: key.digestBytes, sampleRate: sampleRate, channelCount: channelCount, frameCount: frameCount,
            sources: sources, trackName: trackName, unitFrames: tileFrames)
        return try PartialEntry.opened(cache: self, key: key, path: partialURL(for: key).path, facts: facts)
    }
}
