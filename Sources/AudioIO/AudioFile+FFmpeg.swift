import CSndfile

extension AudioFile {
    /// Decodes through FFmpeg what libsndfile does not recognise (AAC and ALAC in MP4,
    /// WebM/Matroska, WMA, the sound of a video, …): the stream FFmpeg would play, to
    /// Float32 stereo at the stream's rate, checked and repaired as ``read(_:)`` does.
    /// A file FFmpeg cannot open either fails with libsndfile's error, `unrecognised`, as before.
    static func readThroughFFmpeg(_ path: String, unrecognised: AudioIOError) throws(AudioIOError) -> DecodedAudio {
        let input: MediaInput
        do {
            input = try MediaInput(path: path)
        } catch {
            throw unrecognised
        }
        let stream = try input.bestAudioStream()
        let decoded = try input.decodeChecked([stream])[0]
        var warnings = decoded.warnings
        if decoded.sourceChannelCount > 2 {
            warnings.append("\(path): \(decoded.sourceChannelCount) channels; kept the first 2")
        }
        return DecodedAudio(
            audio: decoded.audio.remixed(toChannelCount: 2), sourceChannelCount: decoded.sourceChannelCount,
            warnings: warnings)
    }

    /// Whether `error` is `sf_open` refusing a format it does not know, as opposed to a
    /// broken file of a format it knows, or a path refused before libsndfile saw it.
    static func sndfileDidNotRecognise(_ error: AudioIOError) -> Bool {
        guard case .unreadable = error.reason else { return false }
        return sf_error(nil) == SF_ERR_UNRECOGNISED_FORMAT
    }
}

extension MediaInput {
    /// Decodes `streams` whole, each to at most its first two channels, with the checks
    /// every decoded file gets: channel count and rate within ``AudioLimits``, at least
    /// one frame, non-finite samples zeroed, and a warning for skipped packets, an early
    /// end or a stream shorter than its container declares.
    func decodeChecked(_ streams: [Int]) throws(AudioIOError) -> [DecodedAudio] {
        for index in streams {
            let (rate, channels) = shape(of: index)
            guard (1...AudioLimits.maxChannels).contains(channels) else {
                throw AudioIOError(path: path, reason: .channelCount(channels))
            }
            guard AudioLimits.sampleRates.contains(rate) else { throw AudioIOError(path: path, reason: .sampleRate(rate)) }
        }
        var channels = [[[Float]]](repeating: [], count: streams.count)
        var nonFinite = [Int](repeating: 0, count: streams.count)
        var sourceChannels = streams.map { shape(of: $0).channelCount }
        let report = try decode(streams) { slot, block in
            if channels[slot].isEmpty {
                sourceChannels[slot] = block.count
                channels[slot] = Array(repeating: [], count: min(block.count, 2))
            }
            for c in channels[slot].indices {
                for sample in block[c] {
                    if sample.isFinite {
                        channels[slot][c].append(sample)
                    } else {
                        channels[slot][c].append(0)
                        nonFinite[slot] += 1
                    }
                }
            }
        }
        var results: [DecodedAudio] = []
        for (slot, index) in streams.enumerated() {
            let frames = channels[slot].first?.count ?? 0
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
                DecodedAudio(
                    audio: AudioBuffer(sampleRate: rate, channels: channels[slot]),
                    sourceChannelCount: sourceChannels[slot], warnings: warnings))
        }
        return results
    }
}
