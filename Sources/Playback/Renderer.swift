import Mixing

/// Renders the mix one period at a time on the audio thread: reads the stems at the
/// playhead, applies smoothed per-stem gains, sums, fades for pause, seek and loop,
/// changes tempo and key of the summed stereo signal (Rubber Band, only while the
/// settings differ from the original), measures, and writes interleaved samples.
///
/// The playhead stays in song time: it counts the frames read from the store, so at
/// 80 % tempo it moves 0.8 frames per frame played, and it never enters a frame that is
/// not separated: at the end of a separated range it fades out and waits.
///
/// Everything it touches is allocated in `init`; `render` takes no lock, allocates
/// nothing and does no I/O. Used by one thread only.
final class Renderer {
    /// Fader ramps last 10 ms.
    static let gainRampFrames = 441
    /// Pause, seek and loop fades last 5 ms.
    static let fadeFrames = 220
    /// The stretcher's engine: R2. On the 2-core test machine under load, at 80–200 %
    /// tempo, R2 takes 9–11 % of a core and R3 20–31 % (and only just kept real time
    /// at 200 % beside a busy separation), so R2 leaves the separation its cores. Its
    /// latency, 12–46 ms (R3: 23–93 ms) on top of the fader ramp, keeps fader, mute and
    /// solo changes audible within 100 ms.
    static let stretchEngine = TimeStretcher.Engine.faster

    let store: StemStore
    let controls: MixerControls
    let status: PlaybackStatus
    /// Most frames one `render` call may produce.
    let maxFrames: Int
    /// Most song frames mixed at once: twice a period, enough for 200 % tempo.
    let blockFrames: Int
    /// The playhead, in frames.
    private(set) var playhead = 0

    private let channelCount: Int
    private let stemCount: Int
    /// Planar mix of song frames, `channelCount × blockFrames`.
    private let mix: UnsafeMutableBufferPointer<Float>
    /// Planar stretched output, `channelCount × maxFrames`.
    private let stretchedMix: UnsafeMutableBufferPointer<Float>
    private let stretcher: TimeStretcher
    /// Whether the mix goes through the stretcher (settings not original).
    private var isStretching = false
    /// Output gain that dips to silence around a switch into or out of the stretcher,
    /// whose latency would otherwise cut the sound with a click.
    private var switchFade: GainSmoother
    private let stemGains: UnsafeMutableBufferPointer<Float>
    private let fadeGains: UnsafeMutableBufferPointer<Float>
    private let smoothers: UnsafeMutableBufferPointer<GainSmoother>
    /// Stems, then master.
    private let meters: UnsafeMutableBufferPointer<Meter>
    private let levels: UnsafeMutableBufferPointer<BlockLevels>
    private var fade: GainSmoother
    private var pendingSeek: Int?
    /// The seek requests `pendingSeek` answers, and those the playhead has answered.
    private var pendingSeekRequests = 0
    private var answeredSeekRequests = 0

    /// A renderer for `store` that produces at most `maxFrames` frames per call,
    /// starting at frame 0 with the gains and transport state `controls` hold now.
    init(store: StemStore, controls: MixerControls, status: PlaybackStatus, maxFrames: Int) {
        precondition(controls.stemCount == store.stemCount, "controls and store disagree on stems")
        self.store = store
        self.controls = controls
        self.status = status
        self.maxFrames = maxFrames
        blockFrames = 2 * maxFrames
        channelCount = store.channelCount
        stemCount = store.stemCount
        mix = .allocate(capacity: channelCount * blockFrames)
        stretchedMix = .allocate(capacity: channelCount * maxFrames)
        stretcher = TimeStretcher(
            sampleRate: store.sampleRate, channels: channelCount, maxInputFrames: blockFrames,
            engine: Self.stretchEngine)
        switchFade = GainSmoother(gain: 1, rampFrames: Self.fadeFrames)
        stemGains = .allocate(capacity: blockFrames)
        fadeGains = .allocate(capacity: blockFrames)
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
        stretchedMix.deallocate()
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
            pendingSeek = min(seek.frame, store.frameCount)
            pendingSeekRequests = seek.requests
        }
        levels.update(repeating: BlockLevels())
        let settings = controls.stretch
        if settings.isOriginal == isStretching {
            if switchFade.isSilent {
                isStretching.toggle()
                if isStretching { stretcher.reset() }
                switchFade.setTarget(1)
            } else {
                switchFade.setTarget(0)
            }
        }
        let consumed: Int
        let sound: UnsafeMutablePointer<Float>
        let stride: Int
        if isStretching {
            stretcher.set(settings)
            consumed = renderStretched(frames: frames)
            (sound, stride) = (stretchedMix.baseAddress!, maxFrames)
        } else {
            renderBlock(frames: frames)
            consumed = frames
            (sound, stride) = (mix.baseAddress!, blockFrames)
        }
        if !switchFade.isSettled || switchFade.current != 1 {
            switchFade.fill(fadeGains.baseAddress!, count: frames)
            for channel in 0..<channelCount {
                for i in 0..<frames { sound[channel * stride + i] *= fadeGains[i] }
            }
        }
        for channel in 0..<channelCount {
            for i in 0..<frames { levels[stemCount].add(sound[channel * stride + i]) }
        }
        for meter in 0...stemCount {
            // The silent rest of the period counts towards the RMS too.
            levels[meter].sampleCount = max(frames, consumed) * channelCount
            meters[meter].record(levels[meter], frames: frames)
            status.publish(meters[meter].reading, at: meter)
        }
        status.position = playhead
        controls.seekApplied(requests: answeredSeekRequests)
        interleave(sound, stride: stride, frames: frames, into: output, format: format)
    }

    /// Mixes `frames` song frames into the start of `mix` with the transport's fades
    /// applied; frames it could not play (paused, buffering, the end) stay silent.
    private func renderBlock(frames: Int) {
        for channel in 0..<channelCount {
            (mix.baseAddress! + channel * blockFrames).update(repeating: 0, count: frames)
        }
        let produced = renderSound(frames: frames, playing: controls.isPlaying)
        for channel in 0..<channelCount {
            let samples = mix.baseAddress! + channel * blockFrames
            for i in 0..<produced { samples[i] *= fadeGains[i] }
        }
    }

    /// Fills `frames` frames of `stretchedMix` from the stretcher, feeding it as many
    /// song frames as it asks for (silence where there is nothing to play, so its
    /// output keeps flowing while paused or buffering); returns how many that was.
    private func renderStretched(frames: Int) -> Int {
        var consumed = 0
        var done = 0
        // Rubber Band asks for at most a few windows before it has output; the bound
        // only guards the audio thread against a stretcher that never answers.
        var rounds = 0
        while done < frames && rounds < 64 {
            rounds += 1
            // Never ask for more than is ready: R2 prints a warning when asked.
            let ready = min(stretcher.framesAvailable, frames - done)
            if ready > 0 {
                done += stretcher.retrieve(into: stretchedMix.baseAddress! + done, stride: maxFrames, frames: ready)
                continue
            }
            let block = min(max(stretcher.framesRequired, 1), blockFrames)
            renderBlock(frames: block)
            stretcher.process(mix.baseAddress!, stride: blockFrames, frames: block)
            consumed += block
        }
        for channel in 0..<channelCount {
            (stretchedMix.baseAddress! + channel * maxFrames + done).update(repeating: 0, count: frames - done)
        }
        return consumed
    }

    /// Mixes stems into `mix` from the playhead on, in chunks that end wherever the
    /// transport changes (a fade ends, a loop wraps, the separated range ends); fills
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
                answeredSeekRequests = pendingSeekRequests
            }
            // Where the separated run from the playhead ends: the end of the track, the next
            // tile not separated yet, or the playhead itself when its own tile is not.
            let separatedEnd = store.separatedEnd(from: playhead)
            if playhead >= separatedEnd {
                // Sound already stopped here (end of track or of what is separated).
                fade.jump(to: 0)
                if pendingSeek != nil { continue }
                buffering = playhead < store.frameCount && playing
                break
            }
            // The next place where sound must have faded out, and whether to jump back to A there.
            let loopEnd = loop.flatMap { playhead < $0.upperBound ? $0.upperBound : nil }
            var stop = separatedEnd
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
                // Playing but faded out: waiting just before the end of the separated range.
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
                    store.plane(stem: stem, channel: channel).baseAddress! + playhead, gains: stemGains.baseAddress!,
                    into: mix.baseAddress! + channel * blockFrames + offset, count: frames,
                    levels: &levels[stem])
            }
        }
    }

    /// Writes `frames` frames of planar `sound`, channels `stride` samples apart, to
    /// `output` as interleaved `format` samples.
    private func interleave(
        _ sound: UnsafeMutablePointer<Float>, stride: Int, frames: Int, into output: UnsafeMutableRawBufferPointer,
        format: SampleFormat
    ) {
        switch format {
        case .int16:
            let samples = output.bindMemory(to: Int16.self)
            for channel in 0..<channelCount {
                let source = sound + channel * stride
                for i in 0..<frames {
                    samples[i * channelCount + channel] = int16Sample(source[i])
                }
            }
        case .float32:
            let samples = output.bindMemory(to: Float.self)
            for channel in 0..<channelCount {
                let source = sound + channel * stride
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
