import AtomicFiles
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Separated stems kept on disk so reopening a song is instant: one file per
/// `CacheKey` (`<key>.stems`, see `EntryFormat`) in one directory
/// (`$XDG_CACHE_HOME/demixer/stems`, see `Locations` in ModelStore), coded in blocks of
/// about 15 bits a sample with their own checksums (see `PlaneCodec`), and a
/// `<key>.partial` (see `PartialEntry`) while a separation is writing its stems.
/// Entries are written to a hidden temporary file and renamed; a hit checks the header
/// at once and each block as it is decoded. A damaged entry is deleted and reported as a
/// miss, so the caller simply separates again.
///
/// The files together stay within `maxSize`: every `PartialEntry.finish()` evicts the
/// least recently used (a file's modification time, refreshed by every hit).
public struct StemCache: Sendable {
    public let directory: URL
    /// The most bytes the cache's files may take together once an entry is finished.
    public let maxSize: Int

    /// 4 GB: about 100 minutes of four stereo stems at 44.1 kHz in the compact format
    /// (some 40 MB a minute; two dozen songs), small beside today's disks and enough
    /// that a working set of albums reopens instantly.
    public static let defaultMaxSize = 4_000_000_000

    public init(directory: URL, maxSize: Int = defaultMaxSize) {
        self.directory = directory
        self.maxSize = maxSize
    }

    static let fileExtension = "stems"
    static let partialExtension = "partial"

    func url(for key: CacheKey) -> URL {
        directory.appendingPathComponent("\(key.hex).\(Self.fileExtension)")
    }

    func partialURL(for key: CacheKey) -> URL {
        directory.appendingPathComponent("\(key.hex).\(Self.partialExtension)")
    }

    func createDirectory() throws(StemCacheError) {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw .fileSystem(path: directory.path, operation: "creating the cache directory", reason: error.localizedDescription)
        }
    }

    // MARK: load

    /// The outcome of looking a key up.
    public enum Lookup: Sendable {
        /// The entry, open, its header checked; its blocks are checked as they are decoded.
        case hit(EntryReader)
        case miss
        /// An entry was there but damaged (truncated, half-written, flipped bits);
        /// it has been deleted. `reason` names the file and the problem, for a warning.
        case discarded(reason: String)

        /// The entry on a hit, nil otherwise.
        public var reader: EntryReader? {
            if case .hit(let reader) = self { return reader }
            return nil
        }
    }

    /// Opens the entry for `key`, checks its header and size (not its blocks: those are
    /// checked as they are decoded), and marks it as just used. Never throws: anything
    /// wrong with the entry makes it a miss, so the caller recomputes. An entry of an
    /// older format is removed silently; a damaged one, or one that is not a regular file
    /// (a directory, a link, a FIFO), is removed (a directory with its contents; a link,
    /// never what it points to) and reported. A partial entry is never a hit.
    public func load(_ key: CacheKey) -> Lookup {
        let path = url(for: key).path
        var status = stat()
        guard lstat(path, &status) == 0 else { return .miss }
        if let kind = nonRegularFileKind(status.st_mode) {
            return discard(path, because: "\(kind), not a cache entry file")
        }
        do {
            let reader = try EntryReader(path: path, key: key)
            utimensat(AT_FDCWD, path, nil, 0)
            return .hit(reader)
        } catch where error.isOutdated {
            try? Self.removeEntry(at: path)
            return .miss
        } catch {
            return discard(path, because: error.description)
        }
    }

    /// Removes the damaged entry at `path` and says what happened.
    private func discard(_ path: String, because problem: String) -> Lookup {
        .discarded(reason: removeDamaged(path, because: problem))
    }

    /// Removes the entry `entry` reads after `decode` found a damaged block in it
    /// (`problem`), as `load` removes one whose header is damaged; says what happened,
    /// for a warning.
    public func discard(_ entry: EntryReader, damagedBy problem: StemCacheError) -> String {
        guard case .damagedEntry(_, let reason) = problem else { return removeDamaged(entry.path, because: problem.description) }
        return removeDamaged(entry.path, because: reason)
    }

    private func removeDamaged(_ path: String, because problem: String) -> String {
        do throws(StemCacheError) {
            try Self.removeEntry(at: path)
            return "\(path): \(problem); removed it"
        } catch {
            return "\(path): \(problem); \(error)"
        }
    }

    /// Deletes the file at `path` (always inside `directory`): a file, a link (not
    /// what it points to) or a directory with its contents. Gone already is fine.
    static func removeEntry(at path: String) throws(StemCacheError) {
        do {
            try FileManager.default.removeItem(atPath: path)
        } catch {
            var status = stat()
            guard lstat(path, &status) != 0 && errno == ENOENT else {
                throw .fileSystem(path: path, operation: "removing", reason: error.localizedDescription)
            }
        }
    }

    // MARK: cap

    /// Removes files named like entries that do not read as one (an older format, a
    /// damaged header), then the least recently used entries and partial entries no
    /// writer holds, oldest first, until the cache's files fit in `maxSize`. Never
    /// removes the entry of `kept`, even when it alone is larger than `maxSize`, nor a
    /// partial entry being written.
    func enforceCap(keeping kept: CacheKey) throws(StemCacheError) {
        let files = scan()
        var total = files.reduce(0) { $0 + $1.size }
        let candidates = files
            .filter { !($0.key == kept && !$0.isPartial) && !$0.isBeingWritten }
            .sorted { ($0.isReadable ? 1 : 0, $0.lastUsed, $0.path) < ($1.isReadable ? 1 : 0, $1.lastUsed, $1.path) }
        for file in candidates where !file.isReadable || total > maxSize {
            if file.isPartial {
                guard try Self.removeUnlockedPartial(at: file.path) else { continue }
            } else {
                try Self.removeEntry(at: file.path)
            }
            total -= file.size
        }
    }

    /// Removes the partial entry at `path` unless a writer holds it; whether it did.
    static func removeUnlockedPartial(at path: String) throws(StemCacheError) -> Bool {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            try removeEntry(at: path)  // not a regular file (or gone)
            return true
        }
        defer { close(fd) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { return false }
        try removeEntry(at: path)
        return true
    }

    // MARK: list and clear

    /// One cached song, as `demixer cache list` shows it.
    public struct Entry: Sendable, Equatable {
        public var key: CacheKey
        public var trackName: String
        public var sources: [String]
        public var sampleRate: Int
        public var frameCount: Int
        /// Bytes on disk.
        public var size: Int
        /// When the entry was last written or hit.
        public var lastUsed: Date

        public var duration: Double { Double(frameCount) / Double(sampleRate) }
    }

    /// A separation's partial entry, as `demixer cache list` shows it.
    public struct Partial: Sendable, Equatable {
        public var key: CacheKey
        public var trackName: String
        public var sampleRate: Int
        public var frameCount: Int
        public var doneTiles: Int
        public var tileCount: Int
        /// Bytes the sparse file takes on disk (grows as tiles are written).
        public var size: Int
        /// When a tile was last marked done.
        public var lastWritten: Date
        /// Whether a writer holds it now (else it is what an interrupted run left).
        public var isBeingWritten: Bool

        public var duration: Double { Double(frameCount) / Double(sampleRate) }
        /// The share of tiles finished, 0…1.
        public var finishedFraction: Double { tileCount == 0 ? 1 : Double(doneTiles) / Double(tileCount) }
    }

    /// What the cache holds.
    public struct Contents: Sendable, Equatable {
        /// The complete entries, most recently used first.
        public var entries: [Entry]
        /// The partial entries, most recently written first.
        public var partials: [Partial]
        /// Bytes the files named like entries and partial entries take, readable or
        /// not: what `maxSize` caps.
        public var usedSize: Int
        public var maxSize: Int
    }

    /// The entries and partial entries. Only headers are read (cheap); files whose
    /// header is damaged or of an older format are counted in `usedSize` but not
    /// listed, and temporary files of writes (in progress or interrupted) are ignored.
    public func list() -> Contents {
        let files = scan()
        return Contents(
            entries: files.compactMap(\.entry).sorted { ($0.lastUsed, $0.key.hex) > ($1.lastUsed, $1.key.hex) },
            partials: files.compactMap(\.partial).sorted { ($0.lastWritten, $0.key.hex) > ($1.lastWritten, $1.key.hex) },
            usedSize: files.reduce(0) { $0 + $1.size }, maxSize: maxSize)
    }

    /// A file named like an entry or a partial entry, with what its header says when it reads as one.
    private struct CacheFile {
        var path: String
        var key: CacheKey
        var isPartial: Bool
        var size: Int
        var lastUsed: Date
        var entry: Entry?
        var partial: Partial?

        var isReadable: Bool { entry != nil || partial != nil }
        var isBeingWritten: Bool { partial?.isBeingWritten ?? false }
    }

    private func scan() -> [CacheFile] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.compactMap { name -> CacheFile? in
            guard let (key, isPartial) = Self.key(ofFileName: name) else { return nil }
            let path = directory.appendingPathComponent(name).path
            var status = stat()
            guard lstat(path, &status) == 0 else { return nil }
            let lastUsed = Date(
                timeIntervalSince1970: Double(status.st_mtim.tv_sec) + Double(status.st_mtim.tv_nsec) / 1e9)
            var file = CacheFile(
                path: path, key: key, isPartial: isPartial, size: isPartial ? Int(status.st_blocks) * 512 : Int(status.st_size),
                lastUsed: lastUsed)
            guard nonRegularFileKind(status.st_mode) == nil else { return file }
            if isPartial {
                file.partial = partial(at: path, key: key, size: file.size, lastWritten: lastUsed)
            } else if let reader = try? EntryReader(path: path, key: key) {
                file.entry = Entry(
                    key: key, trackName: reader.trackName, sources: reader.sources, sampleRate: reader.sampleRate,
                    frameCount: reader.frameCount, size: file.size, lastUsed: lastUsed)
            }
            return file
        }
    }

    /// The partial entry at `path` as `list` shows it; nil when its header does not read as one.
    private func partial(at path: String, key: CacheKey, size: Int, lastWritten: Date) -> Partial? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        let isBeingWritten = flock(fd, LOCK_SH | LOCK_NB) != 0
        guard let (facts, _, done) = try? PartialEntry.read(fd), facts.key == key.digestBytes else { return nil }
        return Partial(
            key: key, trackName: facts.trackName, sampleRate: facts.sampleRate, frameCount: facts.frameCount,
            doneTiles: done.count { $0 }, tileCount: done.count, size: size, lastWritten: lastWritten,
            isBeingWritten: isBeingWritten)
    }

    /// Temporary files of entry writes that never finished (the process was killed),
    /// with their sizes, for `demixer cache list`. Writes in progress are not listed.
    public func staleTemporaries() -> [StaleTemporary] {
        StagedWrite.staleTemporaries(in: directory.path).filter { Self.key(ofFileName: $0.destinationName) != nil }
    }

    /// Deletes the files ``staleTemporaries()`` lists and returns how many bytes that freed.
    @discardableResult
    public func removeStaleTemporaries() throws(StemCacheError) -> Int {
        var freed = 0
        for leftover in staleTemporaries() {
            do {
                try leftover.remove()
            } catch {
                throw StemCacheError(error)
            }
            freed += Int(leftover.size)
        }
        return freed
    }

    /// Deletes every entry, partial entry and stale temporary file (nothing else in the
    /// directory, and no write in progress) and returns how many bytes that freed.
    @discardableResult
    public func clear() throws(StemCacheError) -> Int {
        var freed = try removeStaleTemporaries()
        for file in scan() {
            if file.isPartial {
                guard try Self.removeUnlockedPartial(at: file.path) else { continue }
            } else {
                try Self.removeEntry(at: file.path)
            }
            freed += file.size
        }
        return freed
    }

    /// The key a file name (`<64 hex digits>.stems` or `.partial`) spells, and whether
    /// it is a partial entry; nil for any other name.
    private static func key(ofFileName name: String) -> (CacheKey, isPartial: Bool)? {
        for (suffix, isPartial) in [(fileExtension, false), (partialExtension, true)] where name.hasSuffix(".\(suffix)") {
            return CacheKey(hex: String(name.dropLast(suffix.count + 1))).map { ($0, isPartial) }
        }
        return nil
    }
}
