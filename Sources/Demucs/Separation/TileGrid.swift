/// A track cut into equal tiles (the last one shorter): the units a separator computes
/// and hands out, in whatever order its caller asks, so that playback can seek and an
/// interrupted separation can resume.
public struct TileGrid: Sendable, Equatable {
    /// Frames in the track.
    public let frameCount: Int
    /// Frames in every tile but the last.
    public let tileFrames: Int

    /// The grid of `frameCount` frames (at least 0) in tiles of `tileFrames` (at least 1).
    public init(frameCount: Int, tileFrames: Int) {
        precondition(frameCount >= 0 && tileFrames >= 1, "no grid of \(frameCount) frames in tiles of \(tileFrames)")
        self.frameCount = frameCount
        self.tileFrames = tileFrames
    }

    /// Tiles in the track; 0 for an empty track.
    public var tileCount: Int { (frameCount + tileFrames - 1) / tileFrames }

    /// The frames of `tile`, which must be in `0..<tileCount`.
    public func range(of tile: Int) -> Range<Int> {
        precondition((0..<tileCount).contains(tile), "tile \(tile) is outside 0..<\(tileCount)")
        return (tile * tileFrames)..<min((tile + 1) * tileFrames, frameCount)
    }

    /// The tile holding `frame`, which must be in `0..<frameCount`.
    public func tile(containing frame: Int) -> Int {
        precondition((0..<frameCount).contains(frame), "frame \(frame) is outside 0..<\(frameCount)")
        return frame / tileFrames
    }
}
