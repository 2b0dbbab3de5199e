import Foundation
import Testing
@testable import Mixing

@Suite struct MeterTests {
    /// `frames` frames of a 441 Hz sine at `amplitude`: 100 samples a cycle, so its
    /// crest falls exactly on a sample.
    func sine(amplitude: Float, frames: Int) -> [Float] {
        (0..<frames).map { amplitude * Float(sin(2 * Double.pi * Double($0) / 100)) }
    }

    func record(_ samples: [Float], into meter: inout Meter) {
        var levels = BlockLevels()
        samples.withUnsafeBufferPointer { levels.add($0) }
        meter.record(levels, frames: samples.count)
    }

    @Test func fullScaleSineReadsZeroDecibelsPeakAndMinusThreeRMSAndClips() {
        var meter = Meter(sampleRate: 44_100)
        record(sine(amplitude: 1, frames: 4_400), into: &meter)
        #expect(abs(meter.reading.peakDB) < 0.001)
        #expect(abs(meter.reading.rmsDB - -3.0103) < 0.001)
        #expect(meter.reading.isClipped)
    }

    @Test func halfScaleSineReadsMinusSixDecibelsAndDoesNotClip() {
        var meter = Meter(sampleRate: 44_100)
        record(sine(amplitude: 0.5, frames: 4_400), into: &meter)
        #expect(abs(meter.reading.peakDB - -6.0206) < 0.001)
        #expect(abs(meter.reading.rmsDB - -9.0309) < 0.001)
        #expect(!meter.reading.isClipped)
    }

    @Test func silenceReadsMinusInfinity() {
        var meter = Meter(sampleRate: 44_100)
        record([Float](repeating: 0, count: 1024), into: &meter)
        #expect(meter.reading == .silent)
    }

    @Test func peakIsHeldForOneAndAHalfSecondsThenFallsAndTheClipLightGoesOut() {
        var meter = Meter(sampleRate: 44_100)
        record(sine(amplitude: 1, frames: 1000), into: &meter)
        let quiet = sine(amplitude: 0.01, frames: 4410)
        for _ in 0..<14 { record(quiet, into: &meter) }
        #expect(meter.reading.heldPeakDB == 0)
        #expect(meter.reading.isClipped)
        for _ in 0..<2 { record(quiet, into: &meter) }
        #expect(!meter.reading.isClipped)
        for _ in 0..<10 { record(quiet, into: &meter) }
        #expect(meter.reading.heldPeakDB < -15 && meter.reading.heldPeakDB > -25)
        #expect(abs(meter.reading.peakDB - -40) < 0.01)
    }
}
