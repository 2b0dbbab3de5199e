import CFFTW
import Foundation

/// FFTW's planner is not thread-safe; executing a plan is.
private let fftwPlanner = NSLock()

/// The short-time Fourier transform exactly as HT Demucs frames it (`_spec` / `_ispec`):
/// `torch.stft` with a periodic Hann window, `normalized=True`, `center=True`, reflect
/// padding, plus demucs's extra reflect padding and cropping so that a signal of `L`
/// samples maps to `ceil(L / hop)` frames and back.
///
/// Owns FFTW plans and aligned buffers, so each thread uses its own instance.
final class Spectrogram {
    let fftSize: Int
    let hop: Int
    let bins: Int
    private let window: [Float]
    private let real: UnsafeMutablePointer<Float>
    private let complex: UnsafeMutablePointer<fftwf_complex>
    private let forwardPlan: fftwf_plan
    private let inversePlan: fftwf_plan

    init(fftSize: Int) {
        self.fftSize = fftSize
        hop = fftSize / 4
        bins = fftSize / 2
        window = (0..<fftSize).map { Float(0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(fftSize))) }
        let real = fftwf_alloc_real(fftSize)!
        let complex = fftwf_alloc_complex(fftSize / 2 + 1)!
        self.real = real
        self.complex = complex
        fftwPlanner.lock()
        forwardPlan = fftwf_plan_dft_r2c_1d(Int32(fftSize), real, complex, UInt32(FFTW_ESTIMATE))
        inversePlan = fftwf_plan_dft_c2r_1d(Int32(fftSize), complex, real, UInt32(FFTW_ESTIMATE))
        fftwPlanner.unlock()
    }

    deinit {
        fftwPlanner.lock()
        fftwf_destroy_plan(forwardPlan)
        fftwf_destroy_plan(inversePlan)
        fftwPlanner.unlock()
        fftwf_free(real)
        fftwf_free(complex)
    }

    /// The number of frames `_spec` keeps for `length` samples.
    func frameCount(length: Int) -> Int { (length + hop - 1) / hop }

    /// `_spec` + complex-as-channels: `[channels, length]` → `[2·channels, bins, frames]`
    /// with channel `2c` the real and `2c + 1` the imaginary part of audio channel `c`.
    func forward(_ signal: Tensor) -> Tensor {
        let channels = signal.shape[0]
        let length = signal.shape[1]
        let frames = frameCount(length: length)
        let pad = hop / 2 * 3
        var out = [Float](repeating: 0, count: 2 * channels * bins * frames)
        let scale = 1 / Float(fftSize).squareRoot()
        for c in 0..<channels {
            let channel = Array(signal.values[(c * length)..<((c + 1) * length)])
            let once = reflectPad(channel, left: pad, right: pad + frames * hop - length)
            let padded = reflectPad(once, left: fftSize / 2, right: fftSize / 2)
            for t in 0..<frames {
                // demucs drops the first two frames of torch.stft's output.
                let start = (t + 2) * hop
                for n in 0..<fftSize { real[n] = padded[start + n] * window[n] }
                fftwf_execute(forwardPlan)
                for f in 0..<bins {
                    out[((2 * c) * bins + f) * frames + t] = complex[f].0 * scale
                    out[((2 * c + 1) * bins + f) * frames + t] = complex[f].1 * scale
                }
            }
        }
        return Tensor(shape: [2 * channels, bins, frames], values: out)
    }

    /// `_ispec` on complex-as-channels input `[2·channels, bins, frames]` → `[channels, length]`.
    func inverse(_ spectrum: Tensor, length: Int) -> Tensor {
        let channels = spectrum.shape[0] / 2
        let frames = spectrum.shape[2]
        precondition(spectrum.shape[1] == bins, "inverse STFT expects \(bins) bins, got \(spectrum.shape)")
        // torch.istft over `frames + 4` frames (two zero frames each side), then demucs's crop.
        let totalFrames = frames + 4
        let olaLength = fftSize + hop * (totalFrames - 1)
        var envelope = [Float](repeating: 0, count: olaLength)
        for t in 0..<totalFrames {
            for n in 0..<fftSize { envelope[t * hop + n] += window[n] * window[n] }
        }
        let offset = fftSize / 2 + hop / 2 * 3
        let scale = 1 / Float(fftSize).squareRoot()
        var out = [Float](repeating: 0, count: channels * length)
        var ola = [Float](repeating: 0, count: olaLength)
        for c in 0..<channels {
            for i in ola.indices { ola[i] = 0 }
            for t in 0..<frames {
                for f in 0..<bins {
                    complex[f].0 = spectrum.values[((2 * c) * bins + f) * frames + t]
                    complex[f].1 = spectrum.values[((2 * c + 1) * bins + f) * frames + t]
                }
                complex[0].1 = 0
                complex[bins] = (0, 0)
                fftwf_execute(inversePlan)
                let start = (t + 2) * hop
                for n in 0..<fftSize { ola[start + n] += real[n] * scale * window[n] }
            }
            for i in 0..<length {
                out[c * length + i] = ola[offset + i] / envelope[offset + i]
            }
        }
        return Tensor(shape: [channels, length], values: out)
    }
}

/// `F.pad(x, (left, right), mode="reflect")` on one channel, with demucs's `pad1d`
/// extension: when the signal is too short to reflect, zeros are added first.
func reflectPad(_ x: [Float], left: Int, right: Int) -> [Float] {
    var source = x
    var (left, right) = (left, right)
    let longest = max(left, right)
    if x.count <= longest {
        let extra = longest - x.count + 1
        let extraRight = min(right, extra)
        let extraLeft = extra - extraRight
        source = [Float](repeating: 0, count: extraLeft) + x + [Float](repeating: 0, count: extraRight)
        left -= extraLeft
        right -= extraRight
    }
    let n = source.count
    var out = [Float](repeating: 0, count: n + left + right)
    for i in 0..<out.count {
        var j = i - left
        if j < 0 { j = -j }
        if j >= n { j = 2 * (n - 1) - j }
        out[i] = source[j]
    }
    return out
}
