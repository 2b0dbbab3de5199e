import MappedStorage
@testable import StemCache

/// Separated stems all in memory, planar float samples per stem, for `StemCache.store`:
/// the tests' way to fill a cache without separating.
struct CachedStems: Sendable, Equatable {
    /// Stem names, in the order of `stems`.
    let sources: [String]
    let sampleRate: Int
    /// What to call the track in `demixer cache list` (usually its file name).
    let trackName: String
    /// `stems[stem][channel][frame]`.
    let stems: [[[Float]]]

    /// Stems; every stem must have the same channels and frames, one per source name.
    init(sources: [String], sampleRate: Int, trackName: String, stems: [[[Float]]]) throws(StemCacheError) {
        guard !sources.isEmpty, sources.count == stems.count else {
            throw .invalidStems("\(stems.count) stems for \(sources.count) source names")
        }
        let channels = stems[0].count
        let frames = stems[0].first?.count ?? 0
        guard channels > 0, stems.allSatisfy({ $0.count == channels && $0.allSatisfy { $0.count == frames } }) else {
            throw .invalidStems("every stem needs the same number of channels (at least one) and frames")
        }
        guard sampleRate > 0, sampleRate <= Int(UInt32.max) else { throw .invalidStems("sample rate \(sampleRate)") }
        self.sources = sources
        self.sampleRate = sampleRate
        self.trackName = trackName
        self.stems = stems
    }

    var channelCount: Int { stems[0].count }
    var frameCount: Int { stems[0][0].count }
}

extension StemCache {
    /// Writes `stems`, whole, as the entry for `key` the way a separation does: into
    /// the partial entry, then `finish()` (atomic, then the cap is enforced). For stems
    /// that are all in memory already; a separation writes its tiles as they come.
    func store(_ stems: CachedStems, for key: CacheKey) throws(StemCacheError) {
        let frames = stems.frameCount
        guard let partial = try openPartial(
            for: key, sources: stems.sources, sampleRate: stems.sampleRate, channelCount: stems.channelCount,
            frameCount: frames, tileFrames: Self.storeTileFrames, trackName: stems.trackName)
        else {
            throw .fileSystem(path: partialURL(for: key).path, operation: "storing", reason: "another writer holds it")
        }
        do throws(StemCacheError) {
            if frames > 0 {
                let body: MappedFloats
                do {
                    body = try MappedFloats(fileDescriptor: partial.fileDescriptor, offset: partial.bodyOffset, count: stems.stems.count * stems.channelCount * frames)
                } catch {
                    throw .fileSystem(path: partial.path, operation: "mapping the partial entry", reason: error.description)
                }
                for (plane, samples) in stems.stems.joined().enumerated() {
                    _ = UnsafeMutableBufferPointer(rebasing: body.buffer[(plane * frames)..<((plane + 1) * frames)]).update(fromContentsOf: samples)
                }
            }
            for tile in partial.doneTiles.indices { try partial.markDone(tile) }
            try partial.finish()
        } catch {
            partial.discard()
            throw error
        }
    }

    /// Tiles of `store`: any size works; a few blocks' worth keeps the bitmap short.
    static let storeTileFrames = 64 * EntryFormat.blockFrames
}
