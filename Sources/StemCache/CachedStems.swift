/// Separated stems all in memory, planar float samples per stem, for `StemCache.store`.
public struct CachedStems: Sendable, Equatable {
    /// Stem names, in the order of `stems`.
    public let sources: [String]
    public let sampleRate: Int
    /// What to call the track in `demixer cache list` (usually its file name).
    public let trackName: String
    /// `stems[stem][channel][frame]`.
    public let stems: [[[Float]]]

    /// Stems; every stem must have the same channels and frames, one per source name.
    public init(sources: [String], sampleRate: Int, trackName: String, stems: [[[Float]]]) throws(StemCacheError) {
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

    public var channelCount: Int { stems[0].count }
    public var frameCount: Int { stems[0][0].count }
}
