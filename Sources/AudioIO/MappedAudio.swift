import MappedStorage

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A decoded track resampled for the model, held in a mapped unnamed temporary file
/// rather than in anonymous memory: a track of any length costs disk and address space,
/// and the kernel pages it in and out as it is read. The file has no name, so nothing
/// is left behind however the process ends.
public final class MappedAudio: Sendable {
    /// The samples, planar: channel `c`'s frames are `c × frameCount ..< (c + 1) × frameCount`.
    public let samples: MappedFloats
    /// Always 2: mono is duplicated, channels beyond the second are dropped.
    public let channelCount: Int
    public let frameCount: Int
    /// The rate of ``samples``, the one asked for.
    public let sampleRate: Int
    /// The file's own rate, for writing stems back at it.
    public let sourceRate: Int
    /// The file's own channel count, so a mono song can be written back as mono.
    public let sourceChannelCount: Int
    /// Things repaired or dropped while decoding, one sentence each, naming the file.
    public let warnings: [String]

    init(samples: MappedFloats, channelCount: Int, sampleRate: Int, summary: DecodeSummary) {
        self.samples = samples
        self.channelCount = channelCount
        frameCount = samples.buffer.count / channelCount
        self.sampleRate = sampleRate
        sourceRate = summary.sampleRate
        sourceChannelCount = summary.sourceChannelCount
        warnings = summary.warnings
    }

    /// A copy of `audio` in an unnamed temporary file in `directory`, as if decoded from a
    /// file of that rate and channel count (a stems file's master, a test's track).
    public convenience init(copying audio: AudioBuffer, temporaryIn directory: String = MappedFloats.temporaryDirectory)
        throws(AudioIOError)
    {
        let frames = audio.frameCount
        let samples: MappedFloats
        do {
            samples = try MappedFloats(count: audio.channelCount * frames, temporaryIn: directory)
        } catch {
            throw AudioIOError(path: directory, reason: .temporaryStorage(error.description))
        }
        for (c, channel) in audio.channels.enumerated() {
            _ = UnsafeMutableBufferPointer(rebasing: samples.buffer[(c * frames)..<((c + 1) * frames)])
                .update(fromContentsOf: channel)
        }
        self.init(
            samples: samples, channelCount: audio.channelCount, sampleRate: audio.sampleRate,
            summary: DecodeSummary(
                sampleRate: audio.sampleRate, sourceChannelCount: audio.channelCount, frameCount: frames, warnings: []))
    }

    /// Channel `c`'s frames, valid as long as this object lives.
    public func channel(_ c: Int) -> UnsafeBufferPointer<Float> {
        precondition((0..<channelCount).contains(c), "no channel \(c) of \(channelCount)")
        return UnsafeBufferPointer(rebasing: samples.buffer[(c * frameCount)..<((c + 1) * frameCount)])
    }

    /// A copy of `frames` of every channel, for code that wants arrays.
    public func copy(frames: Range<Int>) -> AudioBuffer {
        precondition(frames.lowerBound >= 0 && frames.upperBound <= frameCount, "frames \(frames) of \(frameCount)")
        return AudioBuffer(sampleRate: sampleRate, channels: (0..<channelCount).map { Array(channel($0)[frames]) })
    }
}

extension AudioFile {
    /// Decodes `path` (``decode(_:consume:)``), resamples it to `sampleRate` as it goes
    /// (``Resampler``) and keeps the result in unnamed temporary files in `directory`,
    /// ending as one planar mapping: the track is never whole in anonymous memory.
    /// The samples equal `Resampler.resample(AudioFile.read(path).audio, to: sampleRate)`.
    /// Disk use peaks at twice the result's size, while the spilled channels are copied
    /// into the final mapping.
    public static func readMapped(
        _ path: String, sampleRate: Int, temporaryIn directory: String = MappedFloats.temporaryDirectory
    ) throws(AudioIOError) -> MappedAudio {
        try readMapped(path, sampleRate: sampleRate, temporaryIn: directory, chunk: SpilledSamples.defaultChunk)
    }

    /// ``readMapped(_:sampleRate:temporaryIn:)`` spilling `chunk` samples per temporary
    /// file (tests lower it to cross chunk boundaries).
    static func readMapped(
        _ path: String, sampleRate: Int, temporaryIn directory: String, chunk: Int
    ) throws(AudioIOError) -> MappedAudio {
        let spill = SpilledSamples(directory: directory, chunk: chunk)
        var staged = [spill, spill]
        var resampler: Resampler?
        let summary = try decode(path) { block throws(AudioIOError) in
            guard block.sampleRate != sampleRate else {
                for c in staged.indices { try staged[c].append(block.channels[c]) }
                return
            }
            if resampler == nil { resampler = try Resampler(from: block.sampleRate, to: sampleRate, channelCount: 2) }
            let out = try resampler!.process(block.channels)
            for c in staged.indices { try staged[c].append(out[c]) }
        }
        if let resampler = resampler.take() {
            let tail = try resampler.finish()
            for c in staged.indices { try staged[c].append(tail[c]) }
        }
        let frames = staged[0].count
        let planar = try mapping(count: frames * staged.count, in: directory)
        for c in staged.indices {
            staged[c].move(into: planar, at: c * frames)
        }
        return MappedAudio(samples: planar, channelCount: staged.count, sampleRate: sampleRate, summary: summary)
    }

    /// A zeroed unnamed temporary mapping, its failure as an ``AudioIOError``.
    static func mapping(count: Int, in directory: String) throws(AudioIOError) -> MappedFloats {
        do {
            return try MappedFloats(count: count, temporaryIn: directory)
        } catch {
            throw AudioIOError(path: nil, reason: .temporaryStorage(error.description))
        }
    }
}

/// One channel's samples of unknown length, appended to unnamed temporary files of
/// `chunk` samples each; every full chunk's pages leave this process's memory.
struct SpilledSamples {
    /// Samples per temporary file by default: 16 MiB.
    static let defaultChunk = 1 << 22
    let directory: String
    let chunk: Int
    private var chunks: [MappedFloats] = []
    private(set) var count = 0

    init(directory: String, chunk: Int) {
        self.directory = directory
        self.chunk = chunk
    }

    mutating func append(_ samples: [Float]) throws(AudioIOError) {
        var done = 0
        while done < samples.count {
            if count == chunks.count * chunk {
                chunks.last?.release(0..<chunk)
                chunks.append(try AudioFile.mapping(count: chunk, in: directory))
            }
            let offset = count % chunk
            let n = min(chunk - offset, samples.count - done)
            let target = UnsafeMutableBufferPointer(rebasing: chunks[chunks.count - 1].buffer[offset..<(offset + n)])
            _ = samples[done..<(done + n)].withUnsafeBufferPointer { target.initialize(fromContentsOf: $0) }
            count += n
            done += n
        }
    }

    /// Copies every sample into `target` from `start` on, chunk by chunk, releasing each
    /// chunk's copy from memory and dropping its file; empty afterwards.
    mutating func move(into target: MappedFloats, at start: Int) {
        var from = start
        while !chunks.isEmpty {
            let spilled = chunks.removeFirst()
            let n = min(chunk, start + count - from)
            _ = UnsafeMutableBufferPointer(rebasing: target.buffer[from..<(from + n)])
                .initialize(fromContentsOf: UnsafeBufferPointer(rebasing: spilled.buffer[0..<n]))
            target.release(from..<(from + n))
            from += n
        }
        count = 0
    }
}
