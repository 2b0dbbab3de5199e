import CFFmpeg

/// An MP4 of AAC tracks being written through libavformat's muxer and libavcodec's AAC
/// encoder onto a ``FileSink`` (a custom `AVIOContext`, so the bytes go to the staged
/// temporary file). Every FFmpeg encoding call in AudioIO goes through here.
///
/// All tracks share one encoder setup: AAC-LC, stereo, `sampleRate`, `bitRate`. Only
/// `defaultTrack` is marked default, which the MP4 muxer turns into the only enabled track.
final class MediaOutput {
    private var format: UnsafeMutablePointer<AVFormatContext>?
    private var io: UnsafeMutablePointer<AVIOContext>?
    private var encoders: [AACEncoder] = []
    private let path: String

    init(sink: FileSink, path: String, trackCount: Int, defaultTrack: Int, sampleRate: Int, bitRate: Int) throws(AudioIOError) {
        self.path = path
        ffmpegLogSilenced
        var code = avformat_alloc_output_context2(&format, nil, "mp4", nil)
        guard code >= 0, let format else { throw Self.failure(path, "no MP4 muxer", code) }
        let bufferSize = 65_536
        guard let buffer = av_malloc(bufferSize) else { throw Self.failure(path, "out of memory", 0) }
        io = avio_alloc_context(
            buffer.assumingMemoryBound(to: UInt8.self), Int32(bufferSize), 1, Unmanaged.passUnretained(sink).toOpaque(),
            nil,
            { sink, bytes, count in
                FileSink.from(sink).writeBytes(bytes, Int64(count)) == Int64(count) ? count : demixer_averror_eio()
            },
            { sink, offset, whence in
                let sink = FileSink.from(sink)
                return whence & AVSEEK_SIZE != 0 ? sink.length() : sink.seek(offset, whence & ~AVSEEK_FORCE)
            })
        guard io != nil else {
            av_free(buffer)
            throw Self.failure(path, "out of memory", 0)
        }
        format.pointee.pb = io
        let globalHeader = format.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER != 0
        for track in 0..<trackCount {
            guard let stream = avformat_new_stream(format, nil) else { throw Self.failure(path, "out of memory", 0) }
            let encoder = try AACEncoder(sampleRate: sampleRate, bitRate: bitRate, globalHeader: globalHeader, path: path)
            code = avcodec_parameters_from_context(stream.pointee.codecpar, encoder.codec)
            guard code >= 0 else { throw Self.failure(path, "AAC parameters", code) }
            stream.pointee.time_base = AVRational(num: 1, den: Int32(sampleRate))
            stream.pointee.disposition = track == defaultTrack ? AV_DISPOSITION_DEFAULT : 0
            encoders.append(encoder)
        }
        code = avformat_write_header(format, nil)
        guard code >= 0 else { throw Self.failure(path, "MP4 header", code) }
    }

    deinit {
        if let io {
            av_freep(&io.pointee.buffer)
            avio_context_free(&self.io)
        }
        avformat_free_context(format)
    }

    /// Encodes `tracks` (stereo, equal lengths, one per track) frame by frame, all tracks
    /// in step so the muxer interleaves them, asking `isCancelled` between frames, then
    /// drains the encoders and writes the index (`av_write_trailer`).
    func write(_ tracks: [AudioBuffer], isCancelled: () -> Bool) throws(AudioIOError) {
        precondition(tracks.count == encoders.count && tracks.allSatisfy { $0.channelCount == 2 })
        let frameCount = tracks.first?.frameCount ?? 0
        let frameSize = Int(encoders[0].codec.pointee.frame_size)
        var start = 0
        while start < frameCount {
            if isCancelled() { throw AudioIOError(path: path, reason: .cancelled) }
            let count = min(frameSize, frameCount - start)
            for (index, track) in tracks.enumerated() {
                try encoders[index].send(track.channels.map { $0[start..<(start + count)] }, at: start) { packet throws(AudioIOError) in
                    try mux(packet, track: index)
                }
            }
            start += count
        }
        for (index, encoder) in encoders.enumerated() {
            try encoder.send(nil, at: frameCount) { packet throws(AudioIOError) in try mux(packet, track: index) }
        }
        let code = av_write_trailer(format)
        guard code >= 0 else { throw Self.failure(path, "MP4 index", code) }
        avio_flush(io)
    }

    /// Hands a packet in the encoder's time base to the muxer (`av_interleaved_write_frame`).
    private func mux(_ packet: UnsafeMutablePointer<AVPacket>, track: Int) throws(AudioIOError) {
        let stream = format!.pointee.streams[track]!
        av_packet_rescale_ts(packet, encoders[track].codec.pointee.time_base, stream.pointee.time_base)
        packet.pointee.stream_index = Int32(track)
        let code = av_interleaved_write_frame(format, packet)
        guard code >= 0 else { throw Self.failure(path, "MP4 muxer", code) }
    }

    fileprivate static func failure(_ path: String, _ what: String, _ code: Int32) -> AudioIOError {
        AudioIOError(path: path, reason: .writeFailed(code < 0 ? "FFmpeg: \(what): \(ffmpegMessage(code))" : "FFmpeg: \(what)"))
    }
}

/// One AAC encoder (`AVCodecContext`, FFmpeg's native `aac`) with its frame and packet.
private final class AACEncoder {
    private(set) var codec: UnsafeMutablePointer<AVCodecContext>!
    private var frame: UnsafeMutablePointer<AVFrame>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private let path: String

    init(sampleRate: Int, bitRate: Int, globalHeader: Bool, path: String) throws(AudioIOError) {
        self.path = path
        guard let encoder = avcodec_find_encoder(AV_CODEC_ID_AAC) else {
            throw AudioIOError(path: path, reason: .unwritableFormat("this FFmpeg has no AAC encoder"))
        }
        codec = avcodec_alloc_context3(encoder)
        frame = av_frame_alloc()
        packet = av_packet_alloc()
        guard codec != nil, frame != nil, packet != nil else { throw MediaOutput.failure(path, "out of memory", 0) }
        codec.pointee.sample_fmt = AV_SAMPLE_FMT_FLTP
        codec.pointee.sample_rate = Int32(sampleRate)
        codec.pointee.bit_rate = Int64(bitRate)
        codec.pointee.time_base = AVRational(num: 1, den: Int32(sampleRate))
        av_channel_layout_default(&codec.pointee.ch_layout, 2)
        if globalHeader { codec.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER }
        let code = avcodec_open2(codec, encoder, nil)
        guard code >= 0 else { throw MediaOutput.failure(path, "AAC encoder", code) }
    }

    deinit {
        avcodec_free_context(&codec)
        av_frame_free(&frame)
        av_packet_free(&packet)
    }

    /// Encodes one frame of planar samples starting at sample `position` (nil: drain the
    /// encoder) and hands every packet it completes to `deliver`.
    func send(
        _ channels: [ArraySlice<Float>]?, at position: Int,
        deliver: (UnsafeMutablePointer<AVPacket>) throws(AudioIOError) -> Void
    ) throws(AudioIOError) {
        var code: Int32
        if let channels {
            frame!.pointee.nb_samples = Int32(channels[0].count)
            frame!.pointee.format = AV_SAMPLE_FMT_FLTP.rawValue
            frame!.pointee.sample_rate = codec.pointee.sample_rate
            frame!.pointee.pts = Int64(position)
            code = av_channel_layout_copy(&frame!.pointee.ch_layout, &codec.pointee.ch_layout)
            if code >= 0 { code = av_frame_get_buffer(frame, 0) }
            guard code >= 0 else { throw MediaOutput.failure(path, "AAC frame", code) }
            for (c, samples) in channels.enumerated() {
                let plane = UnsafeMutableRawPointer(frame!.pointee.extended_data[c]!).assumingMemoryBound(to: Float.self)
                _ = UnsafeMutableBufferPointer(start: plane, count: samples.count).initialize(from: samples)
            }
            code = avcodec_send_frame(codec, frame)
            av_frame_unref(frame)
        } else {
            code = avcodec_send_frame(codec, nil)
        }
        guard code >= 0 else { throw MediaOutput.failure(path, "AAC encoder", code) }
        while true {
            code = avcodec_receive_packet(codec, packet)
            if code == demixer_averror_eagain() || code == demixer_averror_eof() { return }
            guard code >= 0 else { throw MediaOutput.failure(path, "AAC encoder", code) }
            defer { av_packet_unref(packet) }
            try deliver(packet!)
        }
    }
}
