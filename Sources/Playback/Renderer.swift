import Mixing

/// Renders the mix one period at a time on the audio thread: reads the stems at the
/// playhead, applies smoothed per-stem gains, sums, fades for pause, seek and loop,
/// measures, and writes interleaved samples.
///
/// Everything it touches is allocated in `init`; `render` takes no lock, allocates
/// nothing and does no I/O. Used by one thread only.
final class Renderer {
    /// Fader ramps last 10 ms.
    static let gainRampFrames = 441
    /// Pause, seek and loop fades last 5 ms.
    static let fadeFrames = 220

    let store: StemStore
    let controls: MixerControls
    let status: PlaybackStatus
    /// Most frames one `render` call may produce.
    let maxFrames: Int
    /// The playhead, in frames.
    private(set) var playhead = 0

    private let channelCount: Int
    private let stemCount: Int
    /// Planar mix, `channelCount × maxFrames`.
    private let mix: UnsafeMutableBufferPointer<Float>
    private let stemGains: UnsafeMutableBufferPointer<Float>
    private let fadeGains: UnsafeMutableBufferPointer<Float>
    private let smoothers: UnsafeMutableBufferPointer<GainSmoother>
    /// Stems, then master.
    private let meters: UnsafeMutableBufferPointer<Meter>
    private let levels: UnsafeMutableBufferPointer<BlockLevels>
    private var fade: GainSmoother
    private var pendingSeek: Int?

    /// A renderer for `store` that produces at most `maxFrames` frames per call,
    /// starting at frame 0 with the gains and transport state `controls` hold now.
    init(store: StemStore, controls: MixerControls, status: PlaybackStatus, maxFrames: Int) {
        precondition(controls.stemCount == store.stemCount, "controls and store disagree on stems")
        self.store = store
        self.controls = controls
        self.status = status
        self.maxFrames = maxFrames
        channelCount = store.channelCount
        stemCount = store.stemCount
        mix = .allocate(capacity: channelCount * maxFrames)
        stemGains = .allocate(capacity: maxFrames)
        fadeGains = .allocate(capacity: maxFrames)
        smoothers = .allocate(capacity: stemCount)
        for stem in 0..<stemCount {
            smoothers.initializeElement(
                at: stem,
                to: GainSmoother(gain: controls.targetGain(ofStem: stem), rampFrames: Self.gainRampFrames))
        }
        meters = .allocate(capacity: stemCount + 1)
        meters.initialize(repeating: Meter(sampleRate: Double(store.sampleRate)))
        levels = .allocate(capacity: stemCount + 1)
        levels.initialize(repeating: BlockLevels())
        fade = GainSmoother(gain: controls.isPlaying ? 1 : 0, rampFrames: Self.fadeFrames)
    }

    deinit {
        mix.deallocate()
        stemGains.deallocate()
        fadeGains.deallocate()
        smoothers.deallocate()
        meters.deallocate()
        levels.deallocate()
    }

    /// Renders `frames` frames into `output` as interleaved `format` samples, advances
    /// the playhead and publishes position, buffering and meters to `status`.
    func render(frames: Int, into output: UnsafeMutableRawBufferPointer, format: SampleFormat) {
        precondition(frames <= maxFrames, "period larger than the renderer was built for")
        precondition(output.count >= frames * channelCount * format.bytesPerSample, "output too small")
        for stem in 0..<stemCount {
            smoothers[stem].setTarget(controls.targetGain(ofStem: stem))
        }
        if let seek = controls.takeSeekRequest() {
            pendingSeek = min(seek, store.frameCount)
        }
        mix.update(repeating: 0)
        levels.update(repeating: BlockLevels())
        let produced = renderSound(frames: frames, playing: controls.isPlaying)
        for channel in 0..<channelCount {
            let samples = mix.baseAddress! + channel * maxFrames
            for i in 0..<produced {
                samples[i] *= fadeGains[i]
                levels[stemCount].add(samples[i])
            }
        }
        for meter in 0...stemCount {
            // The silent rest of the period counts towards the RMS too.
            levels[meter].sampleCount = frames * channelCount
            meters[meter].record(levels[meter], frames: frames)
            status.publish(meters[meter].reading, at: meter)
        }
        status.position = playhead
        interleave(frames: frames, into: output, format: format)
    }

    /// Mixes stems into `mix` from the playhead on, in chunks that end wherever the
    /// transport changes (a fade ends, a loop wraps, the frontier is reached); fills
    /// `fadeGains` for the frames it mixed and returns how many that was. The rest of
    /// the period stays silent: paused, buffering or past the end.
    private func renderSound(frames: Int, playing: Bool) -> Int {
        let loop = controls.loop
        var done = 0
        var buffering = false
        while done < frames {
            if fade.isSilent, let seek = pendingSeek {
                playhead = seek
                pendingSeek = nil
            }
            let frontier = store.separatedFrames
            if playhead >= store.frameCount || playhead >= frontier {
                // Sound already stopped here (end of track or of what is separated).
                fade.jump(to: 0)
                if pendingSeek != nil { continue }
                buffering = playhead < store.frameCount && playing
                break
            }
            // The next place where sound must have faded out, and whether to jump back to A there.
            let loopEnd = loop.flatMap { playhead < $0.upperBound ? $0.upperBound : nil }
            var stop = store.frameCount
            if frontier < stop { stop = frontier }
            let wrapsAtStop = loopEnd.map { $0 <= stop } ?? false
            if let loopEnd, wrapsAtStop { stop = loopEnd }
            let needsFadeAtStop = stop < store.frameCount || wrapsAtStop
            let untilStop = stop - playhead

            if !playing || pendingSeek != nil {
                fade.setTarget(0)
            } else if needsFadeAtStop && untilStop <= Renderer.fadeFrames {
                fade.setTarget(0, overFrames: untilStop)
                if wrapsAtStop, let loop { pendingSeek = loop.lowerBound }
            } else {
                fade.setTarget(1)
            }
            if fade.isSilent {
                if pendingSeek != nil { continue }
                // Playing but faded out: waiting just before the frontier.
                buffering = playing
                break
            }

            var chunk = min(frames - done, untilStop)
            if !fade.isSettled {
                chunk = min(chunk, fade.framesToTarget)
            } else if needsFadeAtStop && untilStop > Renderer.fadeFrames {
                chunk = min(chunk, untilStop - Renderer.fadeFrames)
            }
            mixChunk(frames: chunk, at: done)
            fade.fill(fadeGains.baseAddress! + done, count: chunk)
            playhead += chunk
            done += chunk
        }
        status.isBuffering = buffering
        return done
    }

    /// Adds `frames` frames of every audible stem, from the playhead, into `mix` at
    /// `offset`.
    private func mixChunk(frames: Int, at offset: Int) {
        for stem in 0..<stemCount {
            if smoothers[stem].isSilent { continue }
            smoothers[stem].fill(stemGains.baseAddress!, count: frames)
            for channel in 0..<channelCount {
                mixStem(
                    store.plane(stem: stem, channel: channel) + playhead, gains: stemGains.baseAddress!,
                    into: mix.baseAddress! + channel * maxFrames + offset, count: frames,
                    levels: &levels[stem])
            }
        }
    }

    /// Writes the planar mix to `output` as interleaved `format` samples.
    private func interleave(frames: Int, into output: UnsafeMutableRawBufferPointer, format: SampleFormat) {
        switch format {
        case .int16:
            let samples = output.bindMemory(to: Int16.self)
            for channel in 0..<channelCount {
                let source = mix.baseAddress! + channel * maxFrames
                for i in 0..<frames {
                    samples[i * channelCount + channel] = int16Sample(source[i])
                }
            }
        case .float32:
            let samples = output.bindMemory(to: Float.self)
            for channel in 0..<channelCount {
                let source = mix.baseAddress! + channel * maxFrames
                for i in 0..<frames {
                    samples[i * channelCount + channel] = source[i]
                }
            }
        }
    }
}

/// `sample` clipped to ±1 and scaled to a 16-bit integer, rounding to nearest.
@inline(__always)
func int16Sample(_ sample: Float) -> Int16 {
    Int16((min(max(sample, -1), 1) * 32767).rounded())
}
