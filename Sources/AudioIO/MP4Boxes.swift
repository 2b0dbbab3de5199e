#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The little of the MP4 (ISO base media) box structure NI Stems needs: finding
/// `moov/udta/stem` and adding it. FFmpeg's muxer cannot write a custom `udta` box and
/// its demuxer does not return one, so Demixer handles that one box itself.
enum MP4Boxes {
    /// A box's four-letter type and where its payload lies in the enclosing bytes.
    struct Box {
        let type: String
        let start: Int
        let payload: Range<Int>
    }

    /// The boxes directly inside `bytes[range]`; nil where a size runs past the range.
    static func children(of bytes: [UInt8], in range: Range<Int>) -> [Box]? {
        var boxes: [Box] = []
        var offset = range.lowerBound
        while offset + 8 <= range.upperBound {
            var size = Int(bigEndian32(bytes, at: offset))
            var header = 8
            if size == 1 {
                guard offset + 16 <= range.upperBound else { return nil }
                size = Int(UInt64(bigEndian32(bytes, at: offset + 8)) << 32 | UInt64(bigEndian32(bytes, at: offset + 12)))
                header = 16
            } else if size == 0 {
                size = range.upperBound - offset
            }
            guard size >= header, offset + size <= range.upperBound else { return nil }
            let type = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
            boxes.append(Box(type: type, start: offset, payload: (offset + header)..<(offset + size)))
            offset += size
        }
        return boxes
    }

    /// A box of `type` around `payload`, with a 32-bit size.
    static func box(_ type: String, _ payload: [UInt8]) -> [UInt8] {
        bigEndianBytes(UInt32(8 + payload.count)) + Array(type.utf8) + payload
    }

    /// `moov` with a `stem` box holding `manifest` added to its `udta` (created if absent).
    static func addingStemBox(_ manifest: [UInt8], toMovie moov: [UInt8]) -> [UInt8]? {
        guard let movie = children(of: moov, in: 0..<moov.count)?.first, movie.type == "moov",
            let inside = children(of: moov, in: movie.payload)
        else { return nil }
        let stem = box("stem", manifest)
        guard let udta = inside.first(where: { $0.type == "udta" }) else {
            return box("moov", Array(moov[movie.payload]) + box("udta", stem))
        }
        let newUdta = box("udta", Array(moov[udta.payload]) + stem)
        return box("moov", Array(moov[movie.payload.lowerBound..<udta.start]) + newUdta + Array(moov[udta.payload.upperBound..<movie.payload.upperBound]))
    }

    /// The payload of `moov/udta/stem` in the file at `path`: nil when the file has no
    /// such box, thrown when it cannot be opened.
    static func stemManifest(at path: String) throws(AudioIOError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw AudioIOError(path: path, reason: .unreadable(String(cString: strerror(errno)))) }
        defer { close(fd) }
        guard let moov = movie(in: fd)?.bytes, let movie = children(of: moov, in: 0..<moov.count)?.first,
            let udta = children(of: moov, in: movie.payload)?.first(where: { $0.type == "udta" }),
            let stem = children(of: moov, in: udta.payload)?.first(where: { $0.type == "stem" })
        else { return nil }
        return Array(moov[stem.payload])
    }

    /// The top-level `moov` box of the file open as `fd`, whole (it is the index: kilobytes
    /// per minute of audio), and where it starts; nil when there is none or it cannot be read.
    static func movie(in fd: Int32) -> (offset: Int64, bytes: [UInt8])? {
        var offset: Int64 = 0
        while true {
            guard let header = readBytes(fd, at: offset, count: 16), header.count >= 8 else { return nil }
            var size = Int64(bigEndian32(header, at: 0))
            if size == 1 {
                guard header.count == 16 else { return nil }
                size = Int64(bigEndian32(header, at: 8)) << 32 | Int64(bigEndian32(header, at: 12))
            }
            guard size >= 8 else { return nil }
            if String(decoding: header[4..<8], as: UTF8.self) == "moov" {
                guard size < 1 << 30, let bytes = readBytes(fd, at: offset, count: Int(size)), bytes.count == Int(size)
                else { return nil }
                return (offset, bytes)
            }
            offset += size
        }
    }

    /// Up to `count` bytes at `offset` (`pread`); nil on a read error.
    private static func readBytes(_ fd: Int32, at offset: Int64, count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset) + off_t(done)) }
            if got < 0 && errno == EINTR { continue }
            guard got >= 0 else { return nil }
            if got == 0 { break }
            done += got
        }
        return Array(bytes.prefix(done))
    }

    private static func bigEndian32(_ bytes: some RandomAccessCollection<UInt8>, at offset: Int) -> UInt32 {
        let start = bytes.index(bytes.startIndex, offsetBy: offset)
        return bytes[start...].prefix(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    private static func bigEndianBytes(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }
}
