import CFFmpeg

/// FFmpeg's text for an error code (`av_strerror`).
func ffmpegMessage(_ code: Int32) -> String {
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256) { text in
        av_strerror(code, text.baseAddress, text.count)
        return String(cString: text.baseAddress!)
    }
}

/// Keeps FFmpeg's log off stderr (it would draw over the player's screen); Demixer
/// reports FFmpeg's failures itself. Evaluated once, by the first reader or writer.
let ffmpegLogSilenced: Void = av_log_set_level(AV_LOG_QUIET)

/// One media file open for reading through libavformat (`AVFormatContext`). libavformat
/// reads through its own small buffer, so a long file streams: neither it nor the
/// compressed data is ever held whole. Every FFmpeg decoding call in AudioIO goes through here.
final class MediaInput {
    private var format: UnsafeMutablePointer<AVFormatContext>?
    let path: String

    /// Opens `path` and probes its streams (`avformat_open_input`, `avformat_find_stream_info`).
    init(path: String) throws(AudioIOError) {
        self.path = path
        ffmpegLogSilenced
        let opened = avformat_open_input(&format, path, nil, nil)
        guard opened >= 0, format != nil else {
            throw AudioIOError(path: path, reason: .unreadableMedia(ffmpegMessage(opened)))
        }
        let probed = avformat_find_stream_info(format, nil)
        guard probed >= 0 else {
            throw AudioIOError(path: path, reason: .unreadableMedia(ffmpegMessage(probed)))
        }
    }

    deinit { avformat_close_input(&format) }

    private func stream(_ index: Int) -> UnsafeMutablePointer<AVStream> {
        format!.pointee.streams[index]!
    }

    /// The audio streams' indices, in file order.
    var audioStreams: [Int] {
        (0..<Int(format!.pointee.nb_streams)).filter {
            stream($0).pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_AUDIO
        }
    }

    /// The audio stream FFmpeg itself would play (`av_find_best_stream`): the default one
    /// of a multi-track file, the sound of a video.
    func bestAudioStream() throws(AudioIOError) -> Int {
        let best = av_find_best_stream(format, AVMEDIA_TYPE_AUDIO, -1, -1, nil, 0)
        guard best >= 0 else { throw AudioIOError(path: path, reason: .noAudioStream) }
        return Int(best)
    }

    /// The frames the container says the stream holds, when it says.
    func declaredFrames(of index: Int) -> Int? {
        let stream = stream(index).pointee
        let rate = Int64(stream.codecpar.pointee.sample_rate)
        if stream.duration > 0 {
            return Int(av_rescale_q(stream.duration, stream.time_base, AVRational(num: 1, den: Int32(rate))))
        }
        let total = format!.pointee.duration
        return total > 0 ? Int(total * rate / Int64(AV_TIME_BASE)) : nil
    }

    /// Decodes `streams` in one pass over the file. Each stream's audio reaches `consume`
    /// block by block (its position in `streams`, its rate, one Float32 buffer per channel),
    /// at the stream's own rate and channel count as the first packet set them. An error
    /// thrown by `consume` ends the pass and is rethrown.
    ///
    /// Packets the decoder rejects are skipped and counted; a read error ends the pass
    /// early and is reported, for the caller to judge against what was decoded.
    func decode(
        _ streams: [Int], consume: (Int, Int, [UnsafeBufferPointer<Float>]) throws(AudioIOError) -> Void
    ) throws(AudioIOError) -> DecodeReport {
        var decoders: [StreamDecoder] = []
        for index in streams { decoders.append(try StreamDecoder(stream(index), path: path)) }
        let slots = Dictionary(uniqueKeysWithValues: streams.enumerated().map { ($1, $0) })
        var allocated = av_packet_alloc()
        defer { av_packet_free(&allocated) }
        guard let packet = allocated else { throw AudioIOError(path: path, reason: .mediaDecodeFailed("out of memory")) }
        var report = DecodeReport(sampleRates: [], skippedPackets: [], readError: nil)
        while true {
            let read = av_read_frame(format, packet)
            if read < 0 {
                if read != demixer_averror_eof() { report.readError = ffmpegMessage(read) }
                break
            }
            defer { av_packet_unref(packet) }
            guard let slot = slots[Int(packet.pointee.stream_index)] else { continue }
            let decoder = decoders[slot]
            try decoder.decode(packet) { block throws(AudioIOError) in try consume(slot, Int(decoder.outputRate), block) }
        }
        for (slot, decoder) in decoders.enumerated() {
            try decoder.decode(nil) { block throws(AudioIOError) in try consume(slot, Int(decoder.outputRate), block) }
            report.skippedPackets.append(decoder.skippedPackets)
            report.sampleRates.append(Int(decoder.outputRate))
        }
        return report
    }

    /// The stream's sample rate and channel count as the container declares them.
    func shape(of index: Int) -> (sampleRate: Int, channelCount: Int) {
        let parameters = stream(index).pointee.codecpar.pointee
        return (Int(parameters.sample_rate), Int(parameters.ch_layout.nb_channels))
    }
}

/// What went wrong in a decoding pass without stopping it.
struct DecodeReport {
    /// Each stream's rate as delivered (its first frame's), 0 for a stream that gave none.
    var sampleRates: [Int]
    /// Each stream's packets the decoder refused (corrupt data), skipped.
    var skippedPackets: [Int]
    /// FFmpeg's message when reading the file failed before its end.
    var readError: String?
}

/// One stream's decoder (`AVCodecContext`) and its conversion to planar Float32
/// (`SwrContext`, same rate and layout as the stream's first frame).
private final class StreamDecoder {
    private var codec: UnsafeMutablePointer<AVCodecContext>?
    private var converter: OpaquePointer?
    private var frame: UnsafeMutablePointer<AVFrame>?
    /// The layout and rate every block is delivered in, set by the first frame.
    private var outputLayout = AVChannelLayout()
    private(set) var outputRate: Int32 = 0
    /// The input the converter was set up for.
    private var inputLayout = AVChannelLayout()
    private var inputFormat: Int32 = -1
    private var inputRate: Int32 = 0
    private var output: [UnsafeMutablePointer<Float>] = []
    private var outputCapacity = 0
    private let path: String
    private(set) var skippedPackets = 0

    init(_ stream: UnsafeMutablePointer<AVStream>, path: String) throws(AudioIOError) {
        self.path = path
        let parameters = stream.pointee.codecpar!
        guard let decoder = avcodec_find_decoder(parameters.pointee.codec_id) else {
            let name = String(cString: avcodec_get_name(parameters.pointee.codec_id))
            throw AudioIOError(path: path, reason: .mediaDecodeFailed("no decoder for \(name)"))
        }
        codec = avcodec_alloc_context3(decoder)
        frame = av_frame_alloc()
        guard codec != nil, frame != nil else { throw AudioIOError(path: path, reason: .mediaDecodeFailed("out of memory")) }
        var code = avcodec_parameters_to_context(codec, parameters)
        if code >= 0 {
            codec!.pointee.pkt_timebase = stream.pointee.time_base
            code = avcodec_open2(codec, decoder, nil)
        }
        guard code >= 0 else { throw AudioIOError(path: path, reason: .mediaDecodeFailed(ffmpegMessage(code))) }
    }

    deinit {
        avcodec_free_context(&codec)
        av_frame_free(&frame)
        swr_free(&converter)
        av_channel_layout_uninit(&outputLayout)
        av_channel_layout_uninit(&inputLayout)
        for channel in output { channel.deallocate() }
    }

    /// Sends `packet` (nil: end of stream) and delivers every frame it completes.
    func decode(
        _ packet: UnsafeMutablePointer<AVPacket>?, deliver: ([UnsafeBufferPointer<Float>]) throws(AudioIOError) -> Void
    ) throws(AudioIOError) {
        if avcodec_send_packet(codec, packet) < 0 {
            skippedPackets += 1
            return
        }
        while true {
            let received = avcodec_receive_frame(codec, frame)
            if received == demixer_averror_eagain() || received == demixer_averror_eof() { return }
            if received < 0 {
                skippedPackets += 1
                return
            }
            defer { av_frame_unref(frame) }
            try deliver(convert(frame!))
        }
    }

    /// The frame as planar Float32 in the output layout and rate (`swr_convert`).
    private func convert(_ frame: UnsafeMutablePointer<AVFrame>) throws(AudioIOError) -> [UnsafeBufferPointer<Float>] {
        let frame = frame.pointee
        var layout = frame.ch_layout
        if outputRate == 0 {
            outputRate = frame.sample_rate
            av_channel_layout_copy(&outputLayout, &layout)
        }
        if converter == nil || frame.format != inputFormat || frame.sample_rate != inputRate
            || av_channel_layout_compare(&layout, &inputLayout) != 0
        {
            swr_free(&converter)
            let code = swr_alloc_set_opts2(
                &converter, &outputLayout, AV_SAMPLE_FMT_FLTP, outputRate,
                &layout, AVSampleFormat(rawValue: frame.format), frame.sample_rate, 0, nil)
            guard code >= 0, swr_init(converter) >= 0 else {
                throw AudioIOError(path: path, reason: .mediaDecodeFailed("cannot convert its samples: \(ffmpegMessage(code))"))
            }
            inputFormat = frame.format
            inputRate = frame.sample_rate
            av_channel_layout_uninit(&inputLayout)
            av_channel_layout_copy(&inputLayout, &layout)
        }
        let wanted = Int(swr_get_out_samples(converter, frame.nb_samples))
        if wanted > outputCapacity {
            for channel in output { channel.deallocate() }
            output = (0..<Int(outputLayout.nb_channels)).map { _ in UnsafeMutablePointer<Float>.allocate(capacity: wanted) }
            outputCapacity = wanted
        }
        var planes = output.map { Optional(UnsafeMutableRawPointer($0).assumingMemoryBound(to: UInt8.self)) }
        let made = planes.withUnsafeMutableBufferPointer { planes in
            frame.extended_data.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: Int(layout.nb_channels)) {
                swr_convert(converter, planes.baseAddress, Int32(outputCapacity), $0, frame.nb_samples)
            }
        }
        guard made >= 0 else {
            throw AudioIOError(path: path, reason: .mediaDecodeFailed("cannot convert its samples: \(ffmpegMessage(made))"))
        }
        return output.map { UnsafeBufferPointer(start: $0, count: Int(made)) }
    }
}
