import Crypto

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The headers of the cache's two kinds of file, all integers little-endian:
///
/// ```
/// magic (8 bytes) · u32 format version · u32 header length H · 32-byte key
/// u32 sample rate · u32 channels · u64 frames · u32 sources · u32 frames per unit
/// per source: u16 length + UTF-8 name · u16 length + UTF-8 track name
/// u64 per unit: the table (complete entries only; see below)
/// 32-byte sha256 of the header bytes before it                 (ends at offset H)
/// ```
///
/// A complete entry (`<key>.stems`, magic `DMXSTEMS`, version 2) has units of
/// `blockFrames` frames; its table holds where each block ends, in bytes after H.
/// Each block is a 32-byte sha256 of (u64 block index ++ the rest) followed by every
/// plane, `[source][channel]`, as `PlaneCodec` writes it: any block decodes alone,
/// and a damaged one is found by its own checksum. A partial entry (see `PartialEntry`)
/// uses the same header with its own magic and no table.
///
/// Everything read is hostile: every length is checked against the file's real size
/// before anything is allocated from it.
enum EntryFormat {
    static let entryMagic = Array("DMXSTEMS".utf8)
    /// 1 was float32 samples with one checksum; such entries are removed as misses.
    static let version: UInt32 = 2
    static let blockFrames = 4096
    static let digestSize = 32
    /// Fixed fields before the source names.
    static let fixedSize = 72
    /// Limits a sane header stays within.
    static let maxHeaderSize = 1 << 26
    static let maxChannels = 64
    static let maxSources = 64
    static let maxUnitFrames = 1 << 24

    /// What a header says, besides its table.
    struct Facts: Equatable {
        var key: [UInt8]
        var sampleRate: Int
        var channelCount: Int
        var frameCount: Int
        var sources: [String]
        var trackName: String
        /// Frames per block (entries) or per tile (partial entries).
        var unitFrames: Int

        var planeCount: Int { sources.count * channelCount }
        var unitCount: Int { frameCount / unitFrames + (frameCount % unitFrames == 0 ? 0 : 1) }
        func frames(ofUnit index: Int) -> Range<Int> {
            (index * unitFrames)..<min(frameCount, (index + 1) * unitFrames)
        }
    }

    /// Why a file was rejected.
    struct Problem: Error, CustomStringConvertible {
        let description: String
        /// An entry of an older format: not damaged, just of no use.
        var isOutdated = false
    }

    // MARK: headers

    /// A complete header: fields, `table`, and the digest of them all.
    static func header(magic: [UInt8], version: UInt32, facts: Facts, table: [UInt64]) -> [UInt8] {
        var bytes = magic
        func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        func put(_ text: String) {
            let utf8 = Array(text.utf8.prefix(Int(UInt16.max)))
            put(UInt16(utf8.count))
            bytes += utf8
        }
        put(version)
        put(UInt32(0))
        bytes += facts.key
        put(UInt32(facts.sampleRate))
        put(UInt32(facts.channelCount))
        put(UInt64(facts.frameCount))
        put(UInt32(facts.sources.count))
        put(UInt32(facts.unitFrames))
        facts.sources.forEach(put)
        put(facts.trackName)
        table.forEach(put)
        withUnsafeBytes(of: UInt32(bytes.count + digestSize).littleEndian) { bytes.replaceSubrange(12..<16, with: $0) }
        bytes += SHA256.hash(data: bytes)
        return bytes
    }

    /// The size of `header(…)` for `facts` with `tableCount` entries, without building it.
    static func headerSize(of facts: Facts, tableCount: Int) -> Int {
        let names = (facts.sources + [facts.trackName]).reduce(0) { $0 + 2 + min($1.utf8.count, Int(UInt16.max)) }
        return fixedSize + names + 8 * tableCount + digestSize
    }

    /// Reads and checks the header of the open file `fd` (`fileSize` bytes): magic,
    /// version, limits, digest, and a table of `tableCount(facts)` entries. Reads the header alone, whatever the file's size.
    static func readHeader(
        of fd: Int32, fileSize: Int, magic: [UInt8], version expected: UInt32, tableCount: (Facts) -> Int
    ) throws(Problem) -> (facts: Facts, table: [UInt64], size: Int) {
        let lead = try read(fd, at: 0, count: 16, fileSize: fileSize)
        guard lead.count == 16, lead.prefix(magic.count).elementsEqual(magic) else {
            throw Problem(description: "not a Demixer stem cache file (bad magic or too short)")
        }
        let fileVersion = lead.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 8, as: UInt32.self)) }
        guard fileVersion == expected else {
            throw Problem(description: "format \(fileVersion), expected \(expected)", isOutdated: fileVersion < expected)
        }
        let size = lead.withUnsafeBytes { Int(UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 12, as: UInt32.self))) }
        guard size >= fixedSize + digestSize, size <= min(fileSize, maxHeaderSize) else {
            throw Problem(description: "header length \(size) does not fit a \(fileSize)-byte file")
        }
        let bytes = try read(fd, at: 0, count: size, fileSize: fileSize)
        guard Array(SHA256.hash(data: bytes[..<(size - digestSize)])) == Array(bytes[(size - digestSize)...]) else {
            throw Problem(description: "header checksum mismatch (damaged)")
        }
        let parsed = bytes.withUnsafeBytes { raw in
            Result { () throws(Problem) in try parseFields(raw, size: size, tableCount: tableCount) }
        }
        return try parsed.get()
    }

    /// The fields of a header whose length and digest are checked.
    private static func parseFields(
        _ raw: UnsafeRawBufferPointer, size: Int, tableCount: (Facts) -> Int
    ) throws(Problem) -> (facts: Facts, table: [UInt64], size: Int) {
        var reader = Reader(bytes: UnsafeRawBufferPointer(rebasing: raw[..<(size - digestSize)]), offset: 16)
        let key = Array(try reader.take(digestSize))
        let sampleRate = Int(try reader.integer(UInt32.self))
        let channels = Int(try reader.integer(UInt32.self))
        let frames = try reader.integer(UInt64.self)
        let sourceCount = Int(try reader.integer(UInt32.self))
        let unitFrames = Int(try reader.integer(UInt32.self))
        guard (1...maxChannels).contains(channels), (1...maxSources).contains(sourceCount), sampleRate > 0,
            (1...maxUnitFrames).contains(unitFrames), frames <= UInt64(Int.max / (4 * maxChannels * maxSources))
        else {
            throw Problem(description: "implausible header (\(channels) channels, \(sourceCount) sources, \(sampleRate) Hz, \(frames) frames)")
        }
        var sources: [String] = []
        for _ in 0..<sourceCount { sources.append(try reader.string()) }
        let facts = Facts(
            key: key, sampleRate: sampleRate, channelCount: channels, frameCount: Int(frames),
            sources: sources, trackName: try reader.string(), unitFrames: unitFrames)
        let count = tableCount(facts)
        guard count * 8 == reader.remaining else {
            throw Problem(description: "header length \(size) disagrees with its fields")
        }
        let table = try (0..<count).map { _ throws(Problem) in try reader.integer(UInt64.self) }
        return (facts, table, size)
    }

    /// `count` bytes of `fd` from `offset`, fewer where the file ends; `count` must
    /// already be checked against `fileSize`.
    static func read(_ fd: Int32, at offset: Int, count: Int, fileSize: Int) throws(Problem) -> [UInt8] {
        let wanted = max(0, min(count, fileSize - offset))
        var bytes = [UInt8](repeating: 0, count: wanted)
        let got = bytes.withUnsafeMutableBytes { readFully(fd, into: $0, at: offset) }
        guard got >= 0 else { throw Problem(description: "unreadable (\(String(cString: strerror(errno))))") }
        return Array(bytes.prefix(got))
    }

    // MARK: complete entries

    /// The table of block ends, checked: each block holds at least its digest and a
    /// byte per plane, no more than the largest a plane can code to, and the last
    /// ends exactly where the file does.
    static func checkBlockEnds(_ ends: [UInt64], facts: Facts, bodySize: Int) throws(Problem) {
        var previous = 0
        for (index, end) in ends.enumerated() {
            let size = Int(clamping: end) - previous
            guard size >= digestSize + facts.planeCount, size <= maxBlockSize(facts, frames: facts.frames(ofUnit: index).count) else {
                throw Problem(description: "block \(index) claims \(size) bytes (damaged)")
            }
            previous += size
        }
        guard previous == bodySize else {
            throw Problem(description: "the blocks take \(previous) bytes, the file holds \(bodySize) (truncated or damaged)")
        }
    }

    /// The most bytes a block of `frames` can take: every sample escaped.
    static func maxBlockSize(_ facts: Facts, frames: Int) -> Int {
        let perPlane = PlaneCodec.planeHeaderSize + (frames * (PlaneCodec.escapeQuotient + 32) + 7) / 8
        return digestSize + facts.planeCount * perPlane
    }

    /// Block `index`: its digest, then `planes` coded.
    static func block(_ index: Int, planes: [UnsafeBufferPointer<Float>]) -> [UInt8] {
        var payload: [UInt8] = []
        for plane in planes { PlaneCodec.encode(plane, to: &payload) }
        return payload.withUnsafeBytes { blockDigest(index, payload: $0) } + payload
    }

    /// Checks block `index` (`bytes`, digest first) and decodes its planes into `planes`.
    static func decodeBlock(_ index: Int, _ bytes: UnsafeRawBufferPointer, into planes: [UnsafeMutableBufferPointer<Float>]) throws(Problem) {
        let payload = UnsafeRawBufferPointer(rebasing: bytes[digestSize...])
        guard blockDigest(index, payload: payload).elementsEqual(bytes[..<digestSize]) else {
            throw Problem(description: "block \(index) checksum mismatch (damaged)")
        }
        var offset = 0
        for plane in planes {
            offset += try PlaneCodec.decode(UnsafeRawBufferPointer(rebasing: payload[offset...]), into: plane)
        }
        guard offset == payload.count else { throw Problem(description: "block \(index) has bytes to spare (damaged)") }
    }

    private static func blockDigest(_ index: Int, payload: UnsafeRawBufferPointer) -> [UInt8] {
        var hasher = SHA256()
        withUnsafeBytes(of: UInt64(index).littleEndian) { hasher.update(bufferPointer: $0) }
        hasher.update(bufferPointer: payload)
        return Array(hasher.finalize())
    }

    /// Bounds-checked little-endian reads.
    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        var remaining: Int { bytes.count - offset }

        mutating func take(_ count: Int) throws(Problem) -> UnsafeRawBufferPointer.SubSequence {
            guard count <= bytes.count - offset else { throw Problem(description: "header ends early") }
            defer { offset += count }
            return bytes[offset..<(offset + count)]
        }

        mutating func integer<T: FixedWidthInteger>(_: T.Type) throws(Problem) -> T {
            let slice = try take(MemoryLayout<T>.size)
            return T(littleEndian: UnsafeRawBufferPointer(rebasing: slice).loadUnaligned(as: T.self))
        }

        mutating func string() throws(Problem) -> String {
            let length = Int(try integer(UInt16.self))
            guard let text = String(validating: try take(length), as: UTF8.self) else {
                throw Problem(description: "a name in the header is not UTF-8")
            }
            return text
        }
    }
}

/// Reads `buffer.count` bytes at `offset`, retrying short reads; returns how many it
/// got (fewer at the end of the file) or −1 with `errno` set.
func readFully(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int) -> Int {
    var done = 0
    while done < buffer.count {
        let got = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
        if got < 0 && errno == EINTR { continue }
        if got < 0 { return -1 }
        if got == 0 { break }
        done += got
    }
    return done
}

/// Writes all of `buffer` at `offset`; false with `errno` set on failure.
func writeFully(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, at offset: Int) -> Bool {
    var done = 0
    while done < buffer.count {
        let written = pwrite(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
        if written < 0 && errno == EINTR { continue }
        if written <= 0 { return false }
        done += written
    }
    return true
}

extension CacheKey {
    /// The 32 bytes the hex digits spell.
    var digestBytes: [UInt8] {
        let digits = Array(hex.utf8)
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<($0 + 2)], as: UTF8.self), radix: 16)! }
    }
}
