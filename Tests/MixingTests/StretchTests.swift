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
}
