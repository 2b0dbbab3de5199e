import Foundation
import MappedStorage
import Synchronization

/// The separated stems of one track, preallocated for its whole length in a mapped file
/// and filled tile by tile, in any order, while the audio thread plays the tiles that
/// are already separated.
///
/// The track is cut into tiles of `tileFrames` frames (the last one may be shorter), the
/// grid the separation works in. A tile is separated once its samples are written and
/// `markSeparated(tile:)` has published it; it stays separated.
///
/// `@unchecked Sendable` because the samples are raw memory shared between threads
/// without a lock. That is safe under two rules: the frames of a tile are written by
/// one thread before the tile is published (a releasing store), and readers only touch
/// tiles they saw separated (an acquiring load). A separated tile's samples never change.
public final class StemStore: @unchecked Sendable {
    /// The rate every stem is stored at: the model's, which playback runs at.
    public let sampleRate: Int
    public let stemCount: Int
    public let channelCount: Int
    /// The track's length in frames, known before separation starts.
    public let frameCount: Int
    /// Frames per tile, the grid separation publishes in.
    public let tileFrames: Int
    /// Tiles in the track; the last one holds the frames left over and may be shorter.
    public let tileCount: Int
    /// Every sample, planar: `[stem][channel][frame]`, the sample of `stem`, `channel` and
    /// `frame` at `(stem * channelCount + channel) * frameCount + frame`. Writers may fill
    /// it directly (a cache decoder) and then publish the tiles they wrote.
    public let samples: UnsafeMutableBufferPointer<Float>
    /// Holds the file the samples are mapped from.
    private let storage: MappedFloats
    /// One bit per tile, set once the tile is separated.
    private let separatedBits: UnsafeMutablePointer<Atomic<UInt64>>
    private let wordCount: Int
    /// Where the last `append` ended, to check that appends come in order.
    private let appendedEnd = Atomic<Int>(0)

    /// The tile grid `init` uses when none is given: about a tenth of a second at
    /// 44.1 kHz, so in-order appends publish at most that much later than they write.
    public static let defaultTileFrames = 4_096

    /// Storage for `stems` stems of `channels` channels and `frames` frames at
    /// `sampleRate`, cut into tiles of `tileFrames` frames, with nothing separated yet.
    ///
    /// - Parameter storage: the mapping to keep the samples in, `stems * channels * frames`
    ///   floats (a cache's partial entry, so separated tiles persist). Nil makes an
    ///   unnamed temporary file in the temporary directory, silent to begin with; it
    ///   throws when there is no room for one.
    public init(
        stems: Int, channels: Int, frames: Int, sampleRate: Int, tileFrames: Int = StemStore.defaultTileFrames,
        storage: MappedFloats? = nil
    ) throws(MappedFloats.Failure) {
        precondition(stems > 0 && channels > 0 && frames >= 0, "a store needs stems and channels")
        precondition(sampleRate > 0, "a store needs a sample rate")
        precondition(tileFrames > 0, "a store needs tiles of at least a frame")
        self.sampleRate = sampleRate
        stemCount = stems
        channelCount = channels
        frameCount = frames
        self.tileFrames = tileFrames
        tileCount = (frames + tileFrames - 1) / tileFrames
        let count = stems * channels * frames
        if let storage {
            precondition(storage.buffer.count == count, "the storage holds \(storage.buffer.count) samples, not \(count)")
            self.storage = storage
        } else {
            self.storage = try MappedFloats(count: count, temporaryIn: MappedFloats.temporaryDirectory)
        }
        samples = self.storage.buffer
        wordCount = (tileCount + 63) / 64
        separatedBits = .allocate(capacity: wordCount)
        for word in 0..<wordCount {
            (separatedBits + word).initialize(to: Atomic(0))
        }
    }

    deinit {
        separatedBits.deinitialize(count: wordCount)
        separatedBits.deallocate()
    }

    /// One stem's channel, the whole track, in `samples`.
    public func plane(stem: Int, channel: Int) -> UnsafeMutableBufferPointer<Float> {
        let first = offset(stem: stem, channel: channel)
        return UnsafeMutableBufferPointer(rebasing: samples[first..<first + frameCount])
    }

    /// Copies every stem and channel of `stems` (`[stem][channel][frame]`, as many
    /// frames as the first channel holds) to frames from `start`. Any thread may write,
    /// as long as no two write the same frames and none writes a separated tile; publish
    /// the tiles written with `markSeparated(tile:)`.
    public func write(start: Int, stems: [[[Float]]]) {
        copy(stems, frames: stems.first?.first?.count ?? 0, to: start)
    }

    /// Publishes tile `tile`, whose samples must all be written: readers that see it
    /// separated see those samples.
    public func markSeparated(tile: Int) {
        precondition(tile >= 0 && tile < tileCount, "tile \(tile) is outside the track's \(tileCount)")
        separatedBits[tile / 64].bitwiseOr(1 << UInt64(tile % 64), ordering: .releasing)
    }

    /// Whether tile `tile` is separated.
    public func isSeparated(tile: Int) -> Bool {
        precondition(tile >= 0 && tile < tileCount, "tile \(tile) is outside the track's \(tileCount)")
        return separatedBits[tile / 64].load(ordering: .acquiring) & (1 << UInt64(tile % 64)) != 0
    }

    /// The end of the run of separated tiles that holds `frame`, or `frame` itself when
    /// its tile is not separated (or it is the end of the track): every frame in
    /// `frame..<separatedEnd(from: frame)` may be read. Lock-free and allocation-free,
    /// for the audio thread.
    public func separatedEnd(from frame: Int) -> Int {
        guard frame >= 0 && frame < frameCount else { return frame }
        var tile = frame / tileFrames
        while tile < tileCount {
            // Separated tiles from `tile` on within its word: the trailing ones.
            let bits = separatedBits[tile / 64].load(ordering: .acquiring) >> UInt64(tile % 64)
            let run = (~bits).trailingZeroBitCount
            tile += run
            if tile % 64 != 0 || run == 0 { break }
        }
        return max(frame, min(tile * tileFrames, frameCount))
    }

    /// The separated parts of the track in frames, ascending and disjoint; adjacent
    /// separated tiles make one range.
    public func separatedRanges() -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var tile = 0
        while tile < tileCount {
            let end = separatedEnd(from: tile * tileFrames)
            if end > tile * tileFrames {
                ranges.append(tile * tileFrames..<end)
                tile = (end + tileFrames - 1) / tileFrames
            } else {
                tile += 1
            }
        }
        return ranges
    }

    /// How many frames are separated, in all.
    public var separatedFrames: Int {
        var tiles = 0
        for word in 0..<wordCount {
            tiles += separatedBits[word].load(ordering: .acquiring).nonzeroBitCount
        }
        let lastIsShort = tileCount * tileFrames > frameCount
        let shortfall = lastIsShort && isSeparated(tile: tileCount - 1) ? tileCount * tileFrames - frameCount : 0
        return tiles * tileFrames - shortfall
    }

    /// Whether the whole track is separated.
    public var isComplete: Bool { separatedFrames == frameCount }

    /// Writes `frames` frames of every stem and channel (`stems[stem][channel]`, each
    /// holding at least `frames` samples) to position `start` and publishes every tile
    /// that is now written to its end. Call from one thread, in order: `start` must be
    /// where the previous append ended.
    public func append(start: Int, frames: Int, stems: [[[Float]]]) {
        precondition(start == appendedEnd.load(ordering: .relaxed), "stems must be appended in order")
        copy(stems, frames: frames, to: start)
        let end = start + frames
        appendedEnd.store(end, ordering: .relaxed)
        let writtenTiles = end == frameCount ? tileCount : end / tileFrames
        for tile in start / tileFrames..<writtenTiles {
            markSeparated(tile: tile)
        }
    }

    /// A copy of `frames` of every stem, `[stem][channel][frame]`: what exports render
    /// from, a block at a time. Frames not yet separated hold what the storage holds
    /// (silence in a new store).
    public func stems(in frames: Range<Int>) -> [[[Float]]] {
        (0..<stemCount).map { channels(ofStem: $0, in: frames) }
    }

    /// A copy of `frames` of one stem, `[channel][frame]`.
    public func channels(ofStem stem: Int, in frames: Range<Int>) -> [[Float]] {
        precondition(frames.lowerBound >= 0 && frames.upperBound <= frameCount, "frames \(frames) outside the track")
        return (0..<channelCount).map { channel in Array(plane(stem: stem, channel: channel)[frames]) }
    }

    /// Copies the first `frames` frames of every stem and channel of `stems` to `start`.
    private func copy(_ stems: [[[Float]]], frames: Int, to start: Int) {
        precondition(stems.count == stemCount, "expected \(stemCount) stems, got \(stems.count)")
        precondition(start >= 0 && frames >= 0 && start + frames <= frameCount, "stems outside the track")
        guard frames > 0 else { return }
        for (stem, channels) in stems.enumerated() {
            precondition(channels.count == channelCount, "expected \(channelCount) channels")
            for (channel, source) in channels.enumerated() {
                precondition(source.count >= frames, "a channel holds fewer than \(frames) frames")
                let destination = plane(stem: stem, channel: channel).baseAddress! + start
                source.withUnsafeBufferPointer { destination.update(from: $0.baseAddress!, count: frames) }
            }
        }
    }

    private func offset(stem: Int, channel: Int) -> Int {
        (stem * channelCount + channel) * frameCount
    }
}
