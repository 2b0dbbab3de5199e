import Crypto

/// The layout of one cache entry file, all integers little-endian:
///
/// ```
/// magic "DMXSTEMS" · u32 format version · u32 header length H · 32-byte key
/// u32 sample rate · u32 channels · u64 frames · u32 sources
/// per source: u16 length + UTF-8 name · u16 length + UTF-8 track name
/// 32-byte sha256 of (header bytes before it ++ body)       (ends at offset H)
/// body: float32 samples, [source][channel][frame]
/// ```
///
/// Every count is checked against the file's real size before anything is allocated
/// from it, so a damaged header cannot make the reader allocate or read past the end.
enum EntryFormat {
    static let magic = Array("DMXSTEMS".utf8)
    static let version: UInt32 = 1
    static let digestSize = 32
    /// Fixed fields before the source names.
    static let fixedSize = 68
    /// Limits a sane header stays within.
    static let maxHeaderSize = 1 << 16
    static let maxChannels = 64
    static let maxSources = 64

    /// The parsed header of an entry.
    struct Header: Equatable {
        var key: [UInt8]
        var sampleRate: Int
        var channelCount: Int
        var frameCount: Int
        var sources: [String]
        var trackName: String
        var headerSize: Int
        var digest: [UInt8]

        var bodySize: Int { sources.count * channelCount * frameCount * 4 }
    }

    /// Why an entry was rejected.
    struct Problem: Error, CustomStringConvertible {
        let description: String
    }

    /// The header bytes (with a zero digest, to be filled in once the body is hashed).
    static func header(for stems: CachedStems, key: CacheKey) -> [UInt8] {
        var bytes = magic
        func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        func put(_ text: String) {
            let utf8 = Array(text.utf8.prefix(Int(UInt16.max)))
            put(UInt16(utf8.count))
            bytes += utf8
        }
        put(version)
        put(UInt32(0))
        bytes += key.digestBytes
        put(UInt32(stems.sampleRate))
        put(UInt32(stems.channelCount))
        put(UInt64(stems.frameCount))
        put(UInt32(stems.sources.count))
        stems.sources.forEach(put)
        put(stems.trackName)
        bytes += [UInt8](repeating: 0, count: digestSize)
        withUnsafeBytes(of: UInt32(bytes.count).littleEndian) { bytes.replaceSubrange(12..<16, with: $0) }
        return bytes
    }

    /// Parses and checks the header at the start of `bytes`, a prefix of a file of
    /// `fileSize` bytes: magic, version, limits, and that header plus body are exactly
    /// the file's size. The digest is not checked here (see `verifiedStems`).
    static func parseHeader(_ bytes: UnsafeRawBufferPointer, fileSize: Int) throws(Problem) -> Header {
        var reader = Reader(bytes: bytes)
        guard fileSize >= fixedSize + digestSize, try reader.take(magic.count).elementsEqual(magic) else {
            throw Problem(description: "not a Demixer stem cache entry (bad magic or too short)")
        }
        let fileVersion = try reader.u32()
        guard fileVersion == version else { throw Problem(description: "entry format \(fileVersion), expected \(version)") }
        let headerSize = Int(try reader.u32())
        guard headerSize >= fixedSize + digestSize, headerSize <= min(fileSize, maxHeaderSize, bytes.count) else {
            throw Problem(description: "header length \(headerSize) does not fit a \(fileSize)-byte file")
        }
        reader = Reader(bytes: UnsafeRawBufferPointer(rebasing: bytes[..<headerSize]), offset: reader.offset)
        let key = Array(try reader.take(digestSize))
        let sampleRate = Int(try reader.u32())
        let channels = Int(try reader.u32())
        let frames = try reader.u64()
        let sourceCount = Int(try reader.u32())
        guard (1...maxChannels).contains(channels), (1...maxSources).contains(sourceCount), sampleRate > 0 else {
            throw Problem(description: "implausible header (\(channels) channels, \(sourceCount) sources, \(sampleRate) Hz)")
        }
        var sources: [String] = []
        for _ in 0..<sourceCount { sources.append(try reader.string()) }
        let trackName = try reader.string()
        guard reader.offset == headerSize - digestSize else {
            throw Problem(description: "header length \(headerSize) disagrees with its fields")
        }
        let digest = Array(try reader.take(digestSize))
        let perFrame = sourceCount * channels * 4
        let (body, overflow) = perFrame.multipliedReportingOverflow(by: Int(clamping: frames))
        guard !overflow, frames <= UInt64(Int.max), body == fileSize - headerSize else {
            throw Problem(description: "\(frames) frames need a \(overflow ? "huge" : String(body))-byte body, "
                + "the file holds \(fileSize - headerSize) (truncated or damaged)")
        }
        return Header(
            key: key, sampleRate: sampleRate, channelCount: channels, frameCount: Int(frames),
            sources: sources, trackName: trackName, headerSize: headerSize, digest: digest)
    }

    /// Checks a whole entry file's digest and returns its stems.
    static func verifiedStems(_ file: UnsafeRawBufferPointer, header: Header) throws(Problem) -> CachedStems {
        var hasher = SHA256()
        hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: file[..<(header.headerSize - digestSize)]))
        hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: file[header.headerSize...]))
        guard Array(hasher.finalize()) == header.digest else {
            throw Problem(description: "checksum mismatch (damaged entry)")
        }
        var offset = header.headerSize
        let stems = header.sources.map { _ in
            (0..<header.channelCount).map { _ in
                [Float](unsafeUninitializedCapacity: header.frameCount) { samples, count in
                    for i in 0..<header.frameCount {
                        samples[i] = Float(bitPattern: UInt32(littleEndian: file.loadUnaligned(fromByteOffset: offset + 4 * i, as: UInt32.self)))
                    }
                    count = header.frameCount
                    offset += 4 * header.frameCount
                }
            }
        }
        do {
            return try CachedStems(sources: header.sources, sampleRate: header.sampleRate, trackName: header.trackName, stems: stems)
        } catch {
            throw Problem(description: "\(error)")
        }
    }

    /// Bounds-checked little-endian reads.
    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        mutating func take(_ count: Int) throws(Problem) -> UnsafeRawBufferPointer.SubSequence {
            guard count <= bytes.count - offset else { throw Problem(description: "header ends early") }
            defer { offset += count }
            return bytes[offset..<(offset + count)]
        }

        mutating func integer<T: FixedWidthInteger>(_: T.Type) throws(Problem) -> T {
            let slice = try take(MemoryLayout<T>.size)
            return T(littleEndian: UnsafeRawBufferPointer(rebasing: slice).loadUnaligned(as: T.self))
        }

        mutating func u32() throws(Problem) -> UInt32 { try integer(UInt32.self) }
        mutating func u64() throws(Problem) -> UInt64 { try integer(UInt64.self) }

        mutating func string() throws(Problem) -> String {
            let length = Int(try integer(UInt16.self))
            guard let text = String(validating: try take(length), as: UTF8.self) else {
                throw Problem(description: "a name in the header is not UTF-8")
            }
            return text
        }
    }
}

extension CacheKey {
    /// The 32 bytes the hex digits spell.
    var digestBytes: [UInt8] {
        let digits = Array(hex.utf8)
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<($0 + 2)], as: UTF8.self), radix: 16)! }
    }
}
