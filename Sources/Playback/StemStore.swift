import Synchronization

/// The separated stems of one track, preallocated for its whole length and filled in
/// order by the separation thread while the audio thread plays what is already there.
///
/// Layout is planar, `[stem][channel][frame]`, at the model's sample rate.
///
/// `@unchecked Sendable` because the storage is a raw buffer shared between threads
/// without a lock. That is safe under two rules this type enforces or documents:
/// a frame range is written by one thread (the single caller of `append`) before the
/// frontier moves past it (a releasing store), and readers only touch frames below the
/// frontier they loaded (an acquiring load). Frames below the frontier never change.
public final class StemStore: @unchecked Sendable {
    /// The rate every stem is stored at: the model's, which playback runs at.
    public let sampleRate: Int
    public let stemCount: Int
    public let channelCount: Int
    /// The track's length in frames, known before separation starts.
    public let frameCount: Int
    private let samples: UnsafeMutableBufferPointer<Float>
    private let frontier = Atomic<Int>(0)

    /// Storage for `stems` stems of `channels` channels and `frames` frames at
    /// `sampleRate`, silent and with nothing separated yet.
    public init(stems: Int, channels: Int, frames: Int, sampleRate: Int) {
        precondition(stems > 0 && channels > 0 && frames >= 0, "a store needs stems and channels")
        precondition(sampleRate > 0, "a store needs a sample rate")
        self.sampleRate = sampleRate
        stemCount = stems
        channelCount = channels
        frameCount = frames
        samples = .allocate(capacity: stems * channels * frames)
        samples.initialize(repeating: 0)
    }

    deinit { samples.deallocate() }

    /// How many frames from the start are separated and may be read.
    public var separatedFrames: Int { frontier.load(ordering: .acquiring) }

    /// Whether the whole track is separated.
    public var isComplete: Bool { separatedFrames == frameCount }

    /// Copies `frames` frames of every stem and channel (`stems[stem][channel]`, each
    /// holding at least `frames` samples) to position `start`, then publishes them.
    /// Call from one thread, in order: `start` must be the current frontier.
    public func append(start: Int, frames: Int, stems: [[[Float]]]) {
        precondition(start == frontier.load(ordering: .relaxed), "stems must be appended in order")
        precondition(start + frames <= frameCount, "append past the end of the track")
        precondition(stems.count == stemCount, "expected \(stemCount) stems, got \(stems.count)")
        guard frames > 0 else { return }
        for (stem, channels) in stems.enumerated() {
            precondition(channels.count == channelCount, "expected \(channelCount) channels")
            for (channel, source) in channels.enumerated() {
                precondition(source.count >= frames, "a channel holds fewer than \(frames) frames")
                let destination = samples.baseAddress! + offset(stem: stem, channel: channel) + start
                source.withUnsafeBufferPointer { destination.update(from: $0.baseAddress!, count: frames) }
            }
        }
        frontier.store(start + frames, ordering: .releasing)
    }

    /// A copy of the separated part of every stem, `[stem][channel][frame]`, for export.
    public func separatedStems() -> [[[Float]]] {
        let frames = separatedFrames
        return (0..<stemCount).map { stem in
            (0..<channelCount).map { channel in
                Array(UnsafeBufferPointer(start: plane(stem: stem, channel: channel), count: frames))
            }
        }
    }

    /// The first sample of one stem's channel. Read only below `separatedFrames`.
    func plane(stem: Int, channel: Int) -> UnsafePointer<Float> {
        UnsafePointer(samples.baseAddress! + offset(stem: stem, channel: channel))
    }

    private func offset(stem: Int, channel: Int) -> Int {
        (stem * channelCount + channel) * frameCount
    }
}
