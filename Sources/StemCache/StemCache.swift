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
    /// entry makes it a miss, so the caller recomputes.
    public func load(_ key: CacheKey) -> Lookup {
        let url = url(for: key)
        guard FileManager.default.fileExists(atPath: url.path) else { return .miss }
        do {
            let data = try Data(contentsOf: url, options: .alwaysMapped)
            let stems = try data.withUnsafeBytes { file throws(EntryFormat.Problem) in
                let header = try EntryFormat.parseHeader(file, fileSize: file.count)
                guard header.key == key.digestBytes else { throw EntryFormat.Problem(description: "it belongs to another key") }
                return try EntryFormat.verifiedStems(file, header: header)
            }
            return .hit(stems)
        } catch {
            let removed = unlink(url.path) == 0 || errno == ENOENT
            let note = removed ? "removed it" : "could not remove it: \(String(cString: strerror(errno)))"
            return .discarded(reason: "\(url.path): \(error); \(note)")
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
            guard name.hasSuffix(".\(Self.fileExtension)"),
                let key = CacheKey(hex: String(name.dropLast(Self.fileExtension.count + 1))),
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

    /// Deletes every entry and leftover temporary file (nothing else in the
    /// directory) and returns how many bytes that freed.
    @discardableResult
    public func clear() throws(StemCacheError) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        var freed = 0
        for name in names {
            let isEntry = name.hasSuffix(".\(Self.fileExtension)") && CacheKey(hex: String(name.dropLast(Self.fileExtension.count + 1))) != nil
            let isTemporary = name.hasPrefix(".") && name.hasSuffix(".tmp") && name.contains(".\(Self.fileExtension).")
            guard isEntry || isTemporary else { continue }
            let path = directory.appendingPathComponent(name).path
            let size = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
            guard unlink(path) == 0 || errno == ENOENT else { throw StemCacheError(FileFailure(path: path, operation: "removing", code: errno)) }
            freed += size
        }
        return freed
    }
}
