/// Audio as the model sees it: channel-planar Float32 samples (channels × frames)
/// at one sample rate.
public struct AudioBuffer: Sendable, Equatable {
    public var sampleRate: Int
    /// One array per channel, all of the same length.
    public var channels: [[Float]]

    /// - Precondition: every channel has the same number of frames.
    public init(sampleRate: Int, channels: [[Float]]) {
        precondition(
            channels.allSatisfy { $0.count == channels.first?.count },
            "AudioBuffer channels differ in length")
        self.sampleRate = sampleRate
        self.channels = channels
    }

    public var channelCount: Int { channels.count }
    public var frameCount: Int { channels.first?.count ?? 0 }

    /// The same audio with `count` channels, mapped as demucs does: to mono by
    /// averaging all channels, from mono by duplicating it, otherwise by keeping
    /// the first `count` channels. Use it to write a stem back as mono when the
    /// source was mono.
    ///
    /// - Precondition: `count` is 1, or the buffer is mono, or `count` ≤ ``channelCount``.
    public func remixed(toChannelCount count: Int) -> AudioBuffer {
        precondition(count >= 1 && !channels.isEmpty, "remixing needs at least one channel")
        if count == channelCount { return self }
        if count == 1 {
            var mean = [Float](repeating: 0, count: frameCount)
            let weight = 1 / Float(channelCount)
            mean.withUnsafeMutableBufferPointer { out in
                for channel in channels {
                    channel.withUnsafeBufferPointer { input in
                        for i in 0..<out.count { out[i] += input[i] * weight }
                    }
                }
            }
            return AudioBuffer(sampleRate: sampleRate, channels: [mean])
        }
        if channelCount == 1 {
            return AudioBuffer(
                sampleRate: sampleRate, channels: Array(repeating: channels[0], count: count))
        }
        precondition(count < channelCount, "cannot make \(count) channels from \(channelCount)")
        return AudioBuffer(sampleRate: sampleRate, channels: Array(channels.prefix(count)))
    }

    /// Appends `block`'s frames; an empty buffer takes `block`'s channels as they are.
    mutating func append(_ block: AudioBuffer) {
        guard !channels.isEmpty else {
            channels = block.channels
            return
        }
        precondition(block.channelCount == channelCount, "appending \(block.channelCount) channels to \(channelCount)")
        for c in channels.indices { channels[c] += block.channels[c] }
    }
}
