import CSndfile

extension AudioFile {
    /// Decodes through FFmpeg what libsndfile does not recognise (AAC and ALAC in MP4,
    /// WebM/Matroska, WMA, the sound of a video, …): the stream FFmpeg would play, block
    /// by block at the stream's rate, checked and repaired as ``decode(_:consume:)`` does.
    /// A file FFmpeg cannot open either fails with libsndfile's error, `unrecognised`, as before.
    static func decodeThroughFFmpeg(
        _ path: String, unrecognised: AudioIOError, consume: (AudioBuffer) throws(AudioIOError) -> Void
    ) throws(AudioIOError) -> DecodeSummary {
        let input: MediaInput
        do {
            input = try MediaInput(path: path)
        } catch {
            throw unrecognised
        }
        let stream = try input.bestAudioStream()
        var summary = try input.decodeChecked([stream]) { _, block throws(AudioIOError) in try consume(block) }[0]
        if summary.sourceChannelCount > 2 {
            summary.warnings.append("\(path): \(summary.sourceChannelCount) channels; kept the first 2")
        }
        return summary
    }

    /// Whether `error` is `sf_open` refusing a format it does not know, as opposed to a
    /// broken file of a format it knows, or a path refused before libsndfile saw it.
    static func sndfileDidNotRecognise(_ error: AudioIOError) -> Bool {
        guard case .unreadable = error.reason else { return false }
        return sf_error(nil) == SF_ERR_UNRECOGNISED_FORMAT
    }
}

extension MediaInput {
    /// Decodes `streams` whole: ``decodeChecked(_:consume:)`` with every block collected.
    func decodeChecked(_ streams: [Int]) throws(AudioIOError) -> [DecodedAudio] {
        var collected = [AudioBuffer](repeating: AudioBuffer(sampleRate: 0, channels: []), count: streams.count)
        let summaries = try decodeChecked(streams) { slot, block in collected[slot].append(block) }
        return zip(summaries, collected).map { summary, audio in
            DecodedAudio(
                audio: AudioBuffer(sampleRate: summary.sampleRate, channels: audio.channels),
                sourceChannelCount: summary.sourceChannelCount, warnings: summary.warnings)
        }
    }

    /// Decodes `streams` in one pass, each block of each stream to `consume` (its position
    /// in `streams`, at most its first two channels), with the checks every decoded file
    /// gets: channel count and rate within ``AudioLimits``, at least one frame,
    /// non-finite samples zeroed, and a warning for skipped packets, an early end or a
    /// stream shorter than its container declares.
    func decodeChecked(
        _ streams: [Int], consume: (Int, AudioBuffer) throws(AudioIOError) -> Void
    ) throws(AudioIOError) -> [DecodeSummary] {
        for index in streams {
            let (rate, channels) = shape(of: index)
            guard (1...AudioLimits.maxChannels).contains(channels) else {
                throw AudioIOError(path: path, reason: .channelCount(channels))
            }
            guard AudioLimits.sampleRates.contains(rate) else { throw AudioIOError(path: path, reason: .sampleRate(rate)) }
        }
        var started = [Bool](repeating: false, count: streams.count)
        var decoded = [Int](repeating: 0, count: streams.count)
        var nonFinite = [Int](repeating: 0, count: streams.count)
        var sourceChannels = streams.map { shape(of: $0).channelCount }
        let report = try decode(streams) { slot, rate, block throws(AudioIOError) in
            if !started[slot] {
                started[slot] = true
                sourceChannels[slot] = block.count
            }
            let frames = block.first?.count ?? 0
            guard frames > 0 else { return }
            let channels = block.prefix(2).map { samples in
                samples.map { sample in
                    guard sample.isFinite else {
                        nonFinite[slot] += 1
                        return Float(0)
                    }
                    return sample
                }
            }
            decoded[slot] += frames
            try consume(slot, AudioBuffer(sampleRate: rate, channels: channels))
        }
        var results: [DecodeSummary] = []
        for (slot, index) in streams.enumerated() {
            let frames = decoded[slot]
            guard frames > 0 else {
                if let error = report.readError { throw AudioIOError(path: path, reason: .mediaDecodeFailed(error)) }
                if report.skippedPackets[slot] > 0 {
                    throw AudioIOError(
                        path: path, reason: .mediaDecodeFailed("all \(report.skippedPackets[slot]) packets were corrupt"))
                }
                throw AudioIOError(path: path, reason: .noFrames)
            }
            var warnings: [String] = []
            if let error = report.readError {
                warnings.append("\(path): decoding stopped after \(frames) frames (FFmpeg: \(error))")
            }
            if report.skippedPackets[slot] > 0 {
                warnings.append("\(path): skipped \(report.skippedPackets[slot]) corrupt packets")
            }
            let rate = report.sampleRates[slot]
            // A tenth of a second covers codec priming and padding rounded by the container.
            if let declared = declaredFrames(of: index), declared - frames > rate / 10 {
                warnings.append("\(path): ends after \(frames) of the \(declared) frames its header declares")
            }
            if nonFinite[slot] > 0 {
                warnings.append("\(path): replaced \(nonFinite[slot]) non-finite samples (NaN or infinity) with 0")
            }
            results.append(
                DecodeSummary(
                    sampleRate: rate, sourceChannelCount: sourceChannels[slot], frameCount: frames, warnings: warnings))
        }
        return results
    }
}
