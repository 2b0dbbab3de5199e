import Foundation
import Mixing
import Testing

@Suite struct StretchTests {
    let rate = 44_100

    /// Two seconds of a 440 Hz sine at half scale, stereo.
    func sine(frequency: Double = 440, seconds: Double = 2) -> [[Float]] {
        let samples = (0..<Int(seconds * Double(rate))).map {
            Float(0.5 * sin(2 * .pi * frequency * Double($0) / Double(rate)))
        }
        return [samples, samples]
    }

    /// The frequency of a steady tone: rising zero crossings, interpolated, over the
    /// middle half of `samples` (away from the stretcher's start and end).
    func frequency(of samples: [Float]) -> Double {
        let middle = samples.count / 4..<samples.count * 3 / 4
        var crossings: [Double] = []
        for i in middle.dropFirst() where samples[i - 1] < 0 && samples[i] >= 0 {
            crossings.append(Double(i - 1) + Double(-samples[i - 1] / (samples[i] - samples[i - 1])))
        }
        return Double(crossings.count - 1) * Double(rate) / (crossings.last! - crossings.first!)
    }

    @Test(arguments: [OfflineStretchMode.finest, .stemAligned])
    func transposingDownTwoSemitonesReads392HzAndKeepsTheDuration(mode: OfflineStretchMode) {
        let input = sine()
        let output = stretched(input, sampleRate: rate, settings: StretchSettings(semitones: -2), mode: mode)
        #expect(abs(frequency(of: output[0]) / 391.995 - 1) < 0.005)
        let lengthening = Double(output[0].count) / Double(input[0].count)
        #expect(abs(lengthening - 1) < 0.01)
    }

    @Test(arguments: [OfflineStretchMode.finest, .stemAligned])
    func slowingTo80PercentKeepsThePitchAndLasts125Percent(mode: OfflineStretchMode) {
        let input = sine()
        let output = stretched(input, sampleRate: rate, settings: StretchSettings(tempo: 0.8), mode: mode)
        #expect(abs(frequency(of: output[1]) / 440 - 1) < 0.005)
        let lengthening = Double(output[1].count) / Double(input[1].count)
        #expect(abs(lengthening / 1.25 - 1) < 0.01)
    }

    @Test func stemsStretchedAlikeStayAlignedWithTheStretchedMix() {
        let stems = [220.0, 330, 554.37].map { sine(frequency: $0) }
        let mix = (0..<2).map { channel in
            (0..<stems[0][0].count).map { frame in stems.reduce(Float(0)) { $0 + $1[channel][frame] } / 3 }
        }
        let settings = StretchSettings(tempo: 0.8, semitones: -2)
        let stretchedMix = stretched(mix, sampleRate: rate, settings: settings, mode: .stemAligned)
        let stretchedStems = stems.map { stretched($0, sampleRate: rate, settings: settings, mode: .stemAligned) }
        var signal = 0.0
        var error = 0.0
        for channel in 0..<2 {
            for frame in stretchedMix[channel].indices {
                let sum = stretchedStems.reduce(Float(0)) { $0 + $1[channel][frame] } / 3
                signal += Double(stretchedMix[channel][frame] * stretchedMix[channel][frame])
                error += Double((sum - stretchedMix[channel][frame]) * (sum - stretchedMix[channel][frame]))
            }
        }
        #expect(10 * log10(signal / error) >= 30)
    }

    @Test func theOriginalSettingsLeaveTheSoundUntouched() {
        let input = sine(seconds: 0.1)
        #expect(stretched(input, sampleRate: rate, settings: .original) == input)
    }

    @Test func settingsAreClampedToTheirRanges() {
        #expect(StretchSettings(tempo: 5, semitones: -30) == StretchSettings(tempo: 2, semitones: -12))
    }

    /// The spectral centroid (Hz) of 8192 samples from the middle of `samples`, Hann-windowed.
    func centroid(of samples: [Float]) -> Double {
        let n = 8192
        let start = samples.count / 2 - n / 2
        let window = (0..<n).map { Double(samples[start + $0]) * (0.5 - 0.5 * cos(2 * .pi * Double($0) / Double(n))) }
        var weighted = 0.0
        var total = 0.0
        for bin in stride(from: 1, to: n / 4, by: 1) {
            var re = 0.0
            var im = 0.0
            let w = 2 * Double.pi * Double(bin) / Double(n)
            for (t, x) in window.enumerated() {
                re += x * cos(w * Double(t))
                im -= x * sin(w * Double(t))
            }
            let magnitude = (re * re + im * im).squareRoot()
            weighted += magnitude * Double(bin) * Double(rate) / Double(n)
            total += magnitude
        }
        return weighted / total
    }

    @Test func preservingFormantsKeepsAVoiceLikeEnvelopeWhereItWasWhenTransposing() {
        // A 110 Hz buzz whose harmonics peak around 1 kHz, as a vowel's formant does.
        let samples = (0..<(2 * rate)).map { i -> Float in
            let t = Double(i) / Double(rate)
            var value = 0.0
            for harmonic in 1...40 {
                let f = 110.0 * Double(harmonic)
                value += exp(-pow((f - 1_000) / 300, 2)) * sin(2 * .pi * f * t)
            }
            return Float(0.1 * value)
        }
        let original = centroid(of: samples)
        let up = StretchSettings(semitones: 7)
        let shifted = stretched([samples], sampleRate: rate, settings: up)[0]
        var kept = up
        kept.preservesFormants = true
        let preserved = stretched([samples], sampleRate: rate, settings: kept)[0]
        // Plain transposition moves the envelope up by a fifth (×1.5); preserved, it stays.
        #expect(centroid(of: shifted) / original > 1.3)
        #expect(abs(centroid(of: preserved) / original - 1) < 0.15)
        // The fundamental moves up a fifth either way: 110 Hz → 164.8 Hz.
        #expect(abs(fundamental(of: preserved) / 164.81 - 1) < 0.02)
        #expect(abs(fundamental(of: shifted) / 164.81 - 1) < 0.02)
    }

    /// The fundamental (Hz) of a steady harmonic tone from the middle of `samples`: the
    /// lag of the autocorrelation's highest peak between 2.5 and 10 ms.
    func fundamental(of samples: [Float]) -> Double {
        let n = 4096
        let start = samples.count / 2 - n / 2
        let lags = (rate / 400)...(rate / 100)
        let best = lags.max { a, b in
            (0..<n).reduce(0.0) { $0 + Double(samples[start + $1] * samples[start + $1 + a]) }
                < (0..<n).reduce(0.0) { $0 + Double(samples[start + $1] * samples[start + $1 + b]) }
        }!
        return Double(rate) / Double(best)
    }
}
