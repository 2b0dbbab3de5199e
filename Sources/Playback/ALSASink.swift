import CALSA
import Glibc

/// Plays interleaved frames on an ALSA PCM device, the one place the ALSA C API is used.
///
/// Opens in blocking mode, so `write` paces the render thread. Underruns are recovered
/// and counted, a suspended device is resumed, and ALSA's own error printing is
/// silenced around every call so it cannot scribble over the curses screen.
public final class ALSASink: AudioSink {
    public let sampleRate: Int
    public let channelCount: Int
    public let periodFrames: Int
    public let format: SampleFormat
    /// The device's whole buffer, in frames.
    public let bufferFrames: Int
    public private(set) var underruns = 0
    private let device: String
    private var pcm: OpaquePointer?

    /// Opens `device` (e.g. "default", "hw:0", "null", or "file:'/tmp/x.raw',raw") for
    /// playback at `sampleRate` with `channels` channels in `format`, aiming at
    /// `latencyMicroseconds` of buffering. Wraps `snd_pcm_open`, `snd_pcm_set_params`
    /// and `snd_pcm_get_params`.
    /// - Throws: `ALSAError` naming the call that failed.
    public init(
        device: String, format: SampleFormat = .int16, sampleRate: Int,
        channels: Int = 2, latencyMicroseconds: Int = 100_000
    ) throws {
        self.device = device
        self.format = format
        self.sampleRate = sampleRate
        channelCount = channels
        var handle: OpaquePointer?
        try Self.check("snd_pcm_open", device) {
            snd_pcm_open(&handle, device, SND_PCM_STREAM_PLAYBACK, 0)
        }
        pcm = handle
        let alsaFormat = format == .int16 ? SND_PCM_FORMAT_S16_LE : SND_PCM_FORMAT_FLOAT_LE
        var buffer: snd_pcm_uframes_t = 0
        var period: snd_pcm_uframes_t = 0
        do {
            try Self.check("snd_pcm_set_params", device) {
                snd_pcm_set_params(
                    handle, alsaFormat, SND_PCM_ACCESS_RW_INTERLEAVED, UInt32(channels),
                    UInt32(sampleRate), 1, UInt32(latencyMicroseconds))
            }
            try Self.check("snd_pcm_get_params", device) { snd_pcm_get_params(handle, &buffer, &period) }
        } catch {
            _ = Self.quietly { snd_pcm_close(handle) }
            throw error
        }
        bufferFrames = Int(buffer)
        periodFrames = Int(period)
    }

    deinit { close() }

    /// Writes all `frames` frames, waiting for room. Wraps `snd_pcm_writei`; an
    /// underrun (`-EPIPE`) is counted and recovered with `snd_pcm_recover`, a suspend
    /// (`-ESTRPIPE`) is resumed the same way, and the rest of the period is written.
    /// - Throws: `ALSAError` when the device is closed or fails past recovery.
    public func write(_ interleaved: UnsafeRawBufferPointer, frames: Int) throws {
        guard let pcm else { throw ALSAError("snd_pcm_writei", device: device, code: -EBADFD) }
        let frameBytes = channelCount * format.bytesPerSample
        precondition(interleaved.count >= frames * frameBytes, "buffer shorter than \(frames) frames")
        var written = 0
        while written < frames {
            let result = Self.quietly {
                snd_pcm_writei(pcm, interleaved.baseAddress! + written * frameBytes, snd_pcm_uframes_t(frames - written))
            }
            if result >= 0 {
                written += Int(result)
                continue
            }
            let code = Int32(result)
            switch code {
            case -EAGAIN:
                continue
            case -EPIPE, -ESTRPIPE:
                if code == -EPIPE { underruns += 1 }
                try Self.check("snd_pcm_recover", device) { snd_pcm_recover(pcm, code, 1) }
            default:
                throw ALSAError("snd_pcm_writei", device: device, code: code)
            }
        }
    }

    /// Waits until everything written has been played. Wraps `snd_pcm_drain`.
    /// - Throws: `ALSAError` when the device is closed or the drain fails.
    public func drain() throws {
        guard let pcm else { throw ALSAError("snd_pcm_drain", device: device, code: -EBADFD) }
        try Self.check("snd_pcm_drain", device) { snd_pcm_drain(pcm) }
    }

    /// Closes the device, dropping what is queued. Wraps `snd_pcm_close`; its result is
    /// ignored because nothing can be done about a device that fails to close.
    public func close() {
        guard let pcm else { return }
        _ = Self.quietly { snd_pcm_close(pcm) }
        self.pcm = nil
    }

    /// Runs `call` with ALSA's error printing off on this thread. ALSA prints through a
    /// variadic handler (`snd_lib_error_set_handler`) that Swift cannot implement, so
    /// this uses the per-thread, non-variadic `snd_lib_error_set_local` instead and puts
    /// the previous handler back afterwards. Takes no lock and allocates nothing.
    static func quietly<Result>(_ call: () -> Result) -> Result {
        let previous = snd_lib_error_set_local { _, _, _, _, _, _ in }
        defer { _ = snd_lib_error_set_local(previous) }
        return call()
    }

    /// Runs `call` quietly and throws its result if negative.
    private static func check(_ function: String, _ device: String, _ call: () -> Int32) throws {
        let code = quietly(call)
        if code < 0 { throw ALSAError(function, device: device, code: code) }
    }
}
