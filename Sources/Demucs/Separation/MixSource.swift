/// Where a separator reads the mix from: any store of planar float samples that can copy
/// out a window, so that a track need not be one array in memory (the app hands in a
/// memory-mapped mix normalised on the fly).
public protocol MixSource: Sendable {
    /// Audio channels of the mix.
    var channelCount: Int { get }
    /// Frames (samples per channel) of the mix.
    var frameCount: Int { get }
    /// Writes frames `start..<start + count` as planar `[channel][count]` samples into
    /// `destination` (`channelCount * count` elements), zeros outside `0..<frameCount`;
    /// `start` may be negative.
    func copyWindow(start: Int, count: Int, into destination: UnsafeMutableBufferPointer<Float>)
}

/// A `[channels, frames]` tensor is a mix held in memory.
extension Tensor: MixSource {
    /// `shape[0]` of a 2-D tensor; 0 for any other shape, which no separator accepts.
    public var channelCount: Int { shape.count == 2 ? shape[0] : 0 }

    /// `shape[1]` of a 2-D tensor; 0 for any other shape.
    public var frameCount: Int { shape.count == 2 ? shape[1] : 0 }

    /// Copies the window out of `values`, zero-padded beyond the track.
    public func copyWindow(start: Int, count: Int, into destination: UnsafeMutableBufferPointer<Float>) {
        let channels = channelCount
        let length = frameCount
        precondition(destination.count >= channels * count, "a window of \(channels)×\(count) needs more room")
        guard channels > 0, count > 0 else { return }
        let lo = max(start, 0)
        let hi = min(start + count, length)
        values.withUnsafeBufferPointer { samples in
            for c in 0..<channels {
                let row = destination.baseAddress! + c * count
                guard lo < hi else {
                    row.update(repeating: 0, count: count)
                    continue
                }
                row.update(repeating: 0, count: lo - start)
                (row + lo - start).update(from: samples.baseAddress! + c * length + lo, count: hi - lo)
                (row + hi - start).update(repeating: 0, count: start + count - hi)
            }
        }
    }
}
