import AtomicFiles
import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Separated stems kept on disk so reopening a song is instant: one file per
/// `CacheKey` (`<key>.stems`) in one directory (`$XDG_CACHE_HOME/demixer/stems`,
/// see `Locations` in ModelStore). Entries are written to a hidden temporary file
/// and renamed, and checked on every load; a damaged entry is deleted and reported
/// as a miss, so the caller simply separates again.
public struct StemCache: Sendable {
    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    static let fileExtension = "stems"

    func url(for key: CacheKey) -> URL {
        directory.appendingPathComponent("\(key.hex).\(Self.fileExtension)")
    }

    // MARK: load

    /// The outcome of looking a key up.
    public enum Lookup: Sendable, Equatable {
        case hit(CachedStems)
        case miss
        /// An entry was there but damaged (truncated, half-written, flipped bits);
        /// it has been deleted. `reason` names the file and the problem, for a warning.
        case discarded(reason: String)

        /// The stems on a hit, nil otherwise.
        public var stems: CachedStems? {
            if case .hit(let stems) = self { return stems }
            return nil
        }
    }

    /// Reads and verifies the entry for `key`. Never throws: anything wrong with the
    /// entry makes it a miss, so the caller recomputes. An entry that is not a regular
    /// file (a directory, a link, a FIFO) is damaged too and removed (a directory with
    /// its contents; a link, never what it points to), so `store` can write it again.
    public func load(_ key: CacheKey) -> Lookup {
        let path = url(for: key).path
        var status = stat()
        guard lstat(path, &status) == 0 else { return .miss }
        if let kind = nonRegularFileKind(status.st_mode) {
            return discard(path, because: "\(kind), not a cache entry file")
        }
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
            let stems = try data.withUnsafeBytes { file throws(EntryFormat.Problem) in
                let header = try EntryFormat.parseHeader(file, fileSize: file.count)
                guard header.key == key.digestBytes else { throw EntryFormat.Problem(description: "it belongs to another key") }
                return try EntryFormat.verifiedStems(file, header: header)
            }
            return .hit(stems)
        } catch let problem as EntryFormat.Problem {
            return discard(path, because: problem.description)
        } catch {
            return discard(path, because: "unreadable (\(error.localizedDescription))")
        }
    }

    /// Removes the damaged entry at `path` and says what happened.
    private func discard(_ path: String, because problem: String) -> Lookup {
        do throws(StemCacheError) {
            try Self.removeEntry(at: path)
            return .discarded(reason: "\(path): \(problem); removed it")
        } catch {
            return .discarded(reason: "\(path): \(problem); \(error)")
        }
    }

    /// Deletes the entry at `path` (always inside `directory`): a file, a link (not
    /// what it points to) or a directory with its contents. Gone already is fine.
    private static func removeEntry(at path: String) throws(StemCacheError) {
        do {
            try FileManager.default.removeItem(atPath: path)
        } catch {
            var status = stat()
            guard lstat(path, &status) != 0 && errno == ENOENT else {
                throw .fileSystem(path: path, operation: "removing", reason: error.localizedDescription)
            }
        }
    }

    // MARK: store

    /// Writes `stems` as the entry for `key`, atomically: a hidden temporary file in
    /// the cache directory, synced, then renamed over any old entry. On failure (a
    /// full disk) the temporary file is removed and the cache is as it was.
    public func store(_ stems: CachedStems, for key: CacheKey) throws(StemCacheError) {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw .fileSystem(path: directory.path, operation: "creating the cache directory", reason: error.localizedDescription)
        }
        let destination = url(for: key)
        let staged: StagedWrite
        do {
            staged = try StagedWrite(destination: destination.path)
        } catch {
            throw StemCacheError(error)
        }
        do throws(FileFailure) {
            var header = EntryFormat.header(for: stems, key: key)
            var hasher = SHA256()
            hasher.update(data: header.dropLast(EntryFormat.digestSize))
            try staged.append(contentsOf: header)
            for stem in stems.stems {
                for channel in stem {
                    try forEachLittleEndianChunk(of: channel) { chunk throws(FileFailure) in
                        hasher.update(bufferPointer: chunk)
                        try staged.append(chunk)
                    }
                }
            }
            header.replaceSubrange((header.count - EntryFormat.digestSize)..., with: Array(hasher.finalize()))
            try staged.overwrite(contentsOf: header, at: 0)
            try staged.commit()
        } catch {
            staged.discard()
            throw StemCacheError(error)
        }
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
        /// When the entry was written.
        public var date: Date

        public var duration: Double { Double(frameCount) / Double(sampleRate) }
    }

    /// The complete entries, newest first. Only headers are read (cheap); entries
    /// whose header is damaged or whose size is wrong are left out, and temporary
    /// files of interrupted writes are ignored.
    public func list() -> [Entry] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.compactMap { name -> Entry? in
            guard let key = Self.key(ofEntryName: name),
                let handle = FileHandle(forReadingAtPath: url(for: key).path)
            else { return nil }
            defer { try? handle.close() }
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: url(for: key).path),
                let size = (attributes[.size] as? NSNumber)?.intValue,
                let prefix = try? handle.read(upToCount: EntryFormat.maxHeaderSize),
                let header = try? prefix.withUnsafeBytes({ bytes throws(EntryFormat.Problem) in
                    try EntryFormat.parseHeader(bytes, fileSize: size)
                })
            else { return nil }
            return Entry(
                key: key, trackName: header.trackName, sources: header.sources, sampleRate: header.sampleRate,
                frameCount: header.frameCount, size: size, date: attributes[.modificationDate] as? Date ?? .distantPast)
        }
        .sorted { $0.date > $1.date }
    }

    /// Temporary files of entry writes that never finished (the process was killed),
    /// with their sizes, for `demixer cache list`. Writes in progress are not listed.
    public func staleTemporaries() -> [StaleTemporary] {
        StagedWrite.staleTemporaries(in: directory.path).filter { Self.key(ofEntryName: $0.destinationName) != nil }
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

    /// Deletes every entry and stale temporary file (nothing else in the directory,
    /// and no write in progress) and returns how many bytes that freed.
    @discardableResult
    public func clear() throws(StemCacheError) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        var freed = try removeStaleTemporaries()
        for name in names where Self.key(ofEntryName: name) != nil {
            let path = directory.appendingPathComponent(name).path
            let size = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
            try Self.removeEntry(at: path)
            freed += size
        }
        return freed
    }

    /// The key an entry's file name (`<64 hex digits>.stems`) spells; nil for any other name.
    private static func key(ofEntryName name: String) -> CacheKey? {
        guard name.hasSuffix(".\(fileExtension)") else { return nil }
        return CacheKey(hex: String(name.dropLast(fileExtension.count + 1)))
    }
}
