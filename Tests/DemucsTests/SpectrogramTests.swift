import Foundation
import Testing

@testable import Demucs

@Suite struct SpectrogramTests {
    /// A band-limited test signal: a few tones with a different mix per channel.
    static func signal(channels: Int, length: Int) -> Tensor {
        let values = (0..<(channels * length)).map { i -> Float in
            let c = Float(i / length + 1)
            let t = Float(i % length)
            let low: Float = 0.5 * sinf(t * 0.05 * c)
            let high: Float = 0.3 * sinf(t * 0.31) + 0.1 * sinf(t * 1.7 / c)
            return low + high
        }
        return Tensor(shape: [channels, length], values: values)
    }

    @Test func inverseOfForwardGivesBackTheSignal() {
        let spectrogram = Spectrogram(fftSize: 4096)
        let x = Self.signal(channels: 2, length: 20_000)
        let spectrum = spectrogram.forward(x)
        #expect(spectrum.shape == [4, 2048, spectrogram.frameCount(length: 20_000)])
        let y = spectrogram.inverse(spectrum, length: 20_000)
        // demucs drops the Nyquist bin and the two outermost frames on each side, so only
        // the interior, away from the first and last 1.5 hops, reconstructs exactly.
        func interior(_ t: Tensor) -> [Float] {
            let length = 20_000
            return (0..<2).flatMap { c -> ArraySlice<Float> in
                let start = c * length + 2048
                return t.values[start..<(start + length - 4096)]
            }
        }
        let agreement = Agreement(reference: interior(x), actual: interior(y))
        #expect(agreement.snr > 60, "\(agreement)")
    }

    @Test func aToneLandsInItsBinWithOrthonormalScaling() {
        let fftSize = 4096
        let bin = 100
        let length = 44_100
        let tone = (0..<length).map { Float(sin(2 * Double.pi * Double(bin) * Double($0) / Double(fftSize))) }
        let spectrum = Spectrogram(fftSize: fftSize).forward(Tensor(shape: [1, length], values: tone))
        let frames = spectrum.shape[2]
        let middle = frames / 2
        func magnitude(_ f: Int) -> Float {
            let re = spectrum.values[f * frames + middle]
            let im = spectrum.values[(2048 + f) * frames + middle]
            return (re * re + im * im).squareRoot()
        }
        let peak = (0..<2048).max { magnitude($0) < magnitude($1) }
        #expect(peak == bin)
        // Hann-windowed unit sine, normalised by 1/sqrt(N): N/4 / sqrt(N) = sqrt(N)/4.
        #expect(abs(magnitude(bin) - Float(fftSize).squareRoot() / 4) < 1e-2)
    }

    @Test func reflectPaddingMirrorsWithoutRepeatingTheEdge() {
        #expect(reflectPad([1, 2, 3, 4], left: 2, right: 3) == [3, 2, 1, 2, 3, 4, 3, 2, 1])
        // Too short to reflect: demucs pads with zeros first.
        #expect(reflectPad([5, 6], left: 3, right: 0).count == 5)
    }
}
