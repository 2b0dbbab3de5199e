import CALSA

/// An ALSA call that failed: which call, on which device, with ALSA's code and message.
public struct ALSAError: Error, CustomStringConvertible, Sendable {
    /// The C function that failed, e.g. `snd_pcm_open`.
    public let function: String
    /// The PCM device name.
    public let device: String
    /// The negative error code ALSA returned.
    public let code: Int32
    /// `snd_strerror(code)`.
    public let message: String

    init(_ function: String, device: String, code: Int32) {
        self.function = function
        self.device = device
        self.code = code
        message = String(cString: snd_strerror(code))
    }

    public var description: String { "\(function) on '\(device)': \(message) (\(code))" }
}
