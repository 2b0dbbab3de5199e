import Testing
@testable import AudioIO

@Suite("Resampling with libsoxr")
struct ResamplerTests {
    @Test("48 kHz → 44.1 kHz → 48 kHz keeps a sine's frequency, level and length")
    func roundTripKeepsSine() throws {
        let original = sine(frequency: 1000, sampleRate: 48_000, frames: 48_000)

        let down = try Resampler.resample(original, to: 44_100)
        #expect(down.sampleRate == 44_100)
        #expect(down.frameCount == 44_100)
        let middle = down.channels[0][2000..<42_000]
        #expect(abs(frequency(Array(middle), sampleRate: 44_100) - 1000) < 0.1)
        #expect(abs(rms(middle) - 0.5 / Float(2).squareRoot()) < 0.001)
        // The drained filter tail is real signal, not zero padding.
        #expect(rms(down.channels[0].suffix(200)) > 0.3)

        let back = try Resampler.resample(down, to: 48_000)
        #expect(back.frameCount == 48_000)
        for c in 0..<2 {
            let error = maxDifference(
                Array(back.channels[c][2000..<46_000]), Array(original.channels[c][2000..<46_000]))
            #expect(error < 1e-3)
        }
    }

    @Test(
        "Output length is round(in × outRate / inRate)",
        arguments: [(12_345, 48_000, 44_100), (1, 44_100, 48_000), (7, 8000, 44_100), (100_001, 96_000, 44_100)])
    func exactLength(frames: Int, from inRate: Int, to outRate: Int) throws {
        let input = sine(frequency: 100, sampleRate: inRate, frames: frames, channels: 1)
        let output = try Resampler.resample(input, to: outRate)
        #expect(output.frameCount == (frames * outRate + inRate / 2) / inRate)
    }

    @Test("Streaming in uneven blocks gives the same samples as one whole buffer")
    func streamingMatchesWhole() throws {
        let input = sine(frequency: 3000, sampleRate: 48_000, frames: 20_000)
        let whole = try Resampler.resample(input, to: 44_100)

        var resampler = try Resampler(from: 48_000, to: 44_100, channelCount: 2)
        var streamed: [[Float]] = [[], []]
        var start = 0
        for size in [1, 999, 5000, 0, 14_000] {
            let out = try resampler.process(input.channels.map { $0[start..<(start + size)] })
            for c in 0..<2 { streamed[c] += out[c] }
            start += size
        }
        let tail = try resampler.finish()
        for c in 0..<2 { streamed[c] += tail[c] }

        #expect(streamed[0].count == whole.frameCount)
        for c in 0..<2 {
            #expect(maxDifference(streamed[c], whole.channels[c]) < 1e-6)
        }
    }

    @Test("Same rate returns the buffer unchanged")
    func sameRateIsIdentity() throws {
        let input = sine(frequency: 440, sampleRate: 44_100, frames: 100)
        #expect(try Resampler.resample(input, to: 44_100) == input)
    }

    @Test("An impossible rate is a soxr error, not a crash")
    func invalidRateThrows() {
        #expect(throws: AudioIOError.self) {
            _ = try Resampler(from: 0, to: 44_100, channelCount: 2)
        }
    }
}

@Suite("Resampling in blocks")
struct StreamingResamplerTests {
    /// 70,000 frames of stereo noise, more than one of `resample`'s blocks.
    static func noise(sampleRate: Int) -> AudioBuffer {
        var generator = SystemRandomNumberGenerator()
        return AudioBuffer(
            sampleRate: sampleRate,
            channels: (0..<2).map { _ in (0..<70_000).map { _ in Float.random(in: -0.9...0.9, using: &generator) } })
    }

    @Test(
        "Blocks of any size give exactly resample's samples",
        arguments: [(44_100, 48_000), (48_000, 44_100)], [1, 1000, 65_536, 100_000])
    func blocksEqualWhole(rates: (Int, Int), blockFrames: Int) throws {
        let input = Self.noise(sampleRate: rates.0)
        let whole = try Resampler.resample(input, to: rates.1)

        var resampler = try Resampler(from: rates.0, to: rates.1, channelCount: 2)
        var streamed: [[Float]] = [[], []]
        var start = 0
        while start < input.frameCount {
            let end = min(start + blockFrames, input.frameCount)
            let out = try resampler.process(input.channels.map { $0[start..<end] })
            for c in 0..<2 { streamed[c] += out[c] }
            start = end
        }
        let tail = try resampler.finish()
        for c in 0..<2 { streamed[c] += tail[c] }

        #expect(streamed == whole.channels)
    }
}
