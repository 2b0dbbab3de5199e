#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open complete cache entry, as a hit hands it out: its facts from the checked
/// header, and samples decoded on demand, block by block, so a player can start at
/// the playhead without reading the whole file. Safe to use from several threads
/// (each call reads with `pread` into its own buffers).
public final class EntryReader: Sendable {
    /// Stem names, in the order of the planes.
    public let sources: [String]
    public let sampleRate: Int
    public let channelCount: Int
    public let frameCount: Int
    /// What to call the track in `demixer cache list` (usually its file name).
    public let trackName: String
    /// Frames per block: ranges aligned to it decode no more than they return.
    public let blockFrames: Int
    /// The entry file, for messages.
    public let path: String

    private let descriptor: Int32
    private let facts: EntryFormat.Facts
    private let headerSize: Int
    /// Where each block ends, in bytes after the header.
    private let blockEnds: [Int]

    /// Opens the entry at `path` and checks its header and block table against the
    /// file's size (a truncated or padded file fails here), not its blocks.
    init(path: String, key: CacheKey) throws(EntryFormat.Problem) {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw EntryFormat.Problem(description: "unreadable (\(String(cString: strerror(errno))))") }
        do throws(EntryFormat.Problem) {
            var status = stat()
            guard fstat(fd, &status) == 0 else { throw EntryFormat.Problem(description: "unreadable (\(String(cString: strerror(errno))))") }
            let fileSize = Int(status.st_size)
            let (facts, table, size) = try EntryFormat.readHeader(
                of: fd, fileSize: fileSize, magic: EntryFormat.entryMagic, version: EntryFormat.version, tableCount: \.unitCount)
            guard facts.key == key.digestBytes else { throw EntryFormat.Problem(description: "it belongs to another key") }
            try EntryFormat.checkBlockEnds(table, facts: facts, bodySize: fileSize - size)
            self.facts = facts
            headerSize = size
            blockEnds = table.map { Int($0) }
        } catch {
            close(fd)
            throw error
        }
        descriptor = fd
        self.path = path
        sources = facts.sources
        sampleRate = facts.sampleRate
        channelCount = facts.channelCount
        frameCount = facts.frameCount
        trackName = facts.trackName
        blockFrames = facts.unitFrames
    }

    deinit { close(descriptor) }

    /// Writes the samples of `frames` into `destination`, planar `[source][channel]`:
    /// plane `p` (source `p / channelCount`, channel `p % channelCount`) from
    /// `p * planeStride + frames.lowerBound`. Reads and checks only the blocks `frames`
    /// touches, in any order; a damaged one throws `.damagedEntry` (and leaves what
    /// was already written). `frames` must lie within the track and `destination` hold
    /// every plane's part of it.
    public func decode(frames: Range<Int>, into destination: UnsafeMutableBufferPointer<Float>, planeStride: Int) throws(StemCacheError) {
        let planes = facts.planeCount
        precondition(frames.lowerBound >= 0 && frames.upperBound <= frameCount, "frames \(frames) outside the track's \(frameCount)")
        precondition(planeStride >= frames.upperBound && destination.count >= (planes - 1) * planeStride + frames.upperBound,
                     "the destination cannot hold \(planes) planes of \(frames)")
        guard !frames.isEmpty else { return }
        let firstBlock = frames.lowerBound / blockFrames
        let lastBlock = (frames.upperBound - 1) / blockFrames
        let largest = (firstBlock...lastBlock).map { blockEnds[$0] - ($0 == 0 ? 0 : blockEnds[$0 - 1]) }.max()!
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: largest, alignment: 8)
        defer { bytes.deallocate() }
        let samples = UnsafeMutableBufferPointer<Float>.allocate(capacity: planes * blockFrames)
        defer { samples.deallocate() }
        for block in firstBlock...lastBlock {
            let blockRange = facts.frames(ofUnit: block)
            let start = block == 0 ? 0 : blockEnds[block - 1]
            let size = blockEnds[block] - start
            let count = blockRange.count
            let planeBuffers = (0..<planes).map { UnsafeMutableBufferPointer(rebasing: samples[($0 * count)..<(($0 + 1) * count)]) }
            do throws(EntryFormat.Problem) {
                let got = readFully(descriptor, into: UnsafeMutableRawBufferPointer(rebasing: bytes[..<size]), at: headerSize + start)
                guard got == size else {
                    throw EntryFormat.Problem(description: got < 0 ? "unreadable (\(String(cString: strerror(errno))))" : "block \(block) is cut short")
                }
                try EntryFormat.decodeBlock(block, UnsafeRawBufferPointer(rebasing: bytes[..<size]), into: planeBuffers)
            } catch {
                throw .damagedEntry(path: path, reason: error.description)
            }
            let wanted = max(frames.lowerBound, blockRange.lowerBound)..<min(frames.upperBound, blockRange.upperBound)
            for (plane, buffer) in planeBuffers.enumerated() {
                let source = buffer[(wanted.lowerBound - blockRange.lowerBound)..<(wanted.upperBound - blockRange.lowerBound)]
                let target = plane * planeStride + wanted.lowerBound
                _ = UnsafeMutableBufferPointer(rebasing: destination[target..<(target + wanted.count)]).update(fromContentsOf: source)
            }
        }
    }
}
