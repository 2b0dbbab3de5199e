import Foundation

/// `20·log10(linear)` in dB, with silence giving −∞.
public func decibels(_ linear: Float) -> Float {
    linear > 0 ? 20 * log10(linear) : -.infinity
}

/// Peak and sum of squares gathered over one block of samples, for a `Meter`.
public struct BlockLevels: Sendable {
    /// Largest magnitude seen.
    public var peak: Float = 0
    /// Sum of the squared samples.
    public var sumOfSquares: Float = 0
    /// How many samples were seen (all channels together).
    public var sampleCount = 0

    public init() {}

    /// Takes one sample into account.
    @inline(__always)
    public mutating func add(_ sample: Float) {
        peak = max(peak, abs(sample))
        sumOfSquares += sample * sample
        sampleCount += 1
    }

    /// Takes every sample of `samples` into account.
    public mutating func add(_ samples: UnsafeBufferPointer<Float>) {
        for sample in samples { add(sample) }
    }
}

/// What a meter shows, in dBFS (0 dBFS is a sample of magnitude 1).
public struct MeterReading: Sendable, Equatable {
    /// Peak of the last block.
    public var peakDB: Float
    /// RMS of the last block; a full-scale sine reads −3.01 dB.
    public var rmsDB: Float
    /// The held peak: the highest recent peak, held ~1.5 s and then falling.
    public var heldPeakDB: Float
    /// Lit for the hold time after a sample reached full scale (≥ 1.0).
    public var isClipped: Bool

    public init(peakDB: Float, rmsDB: Float, heldPeakDB: Float, isClipped: Bool = false) {
        self.peakDB = peakDB
        self.rmsDB = rmsDB
        self.heldPeakDB = heldPeakDB
        self.isClipped = isClipped
    }

    /// The reading of silence.
    public static let silent = MeterReading(
        peakDB: -.infinity, rmsDB: -.infinity, heldPeakDB: -.infinity, isClipped: false)
}

/// A peak/RMS meter with peak hold and a clip light, fed one block at a time.
/// A plain value with no storage of its own, so the audio thread can keep one per stem.
public struct Meter: Sendable {
    /// The current reading.
    public private(set) var reading = MeterReading.silent
    private let holdFrames: Int
    private let decayDBPerFrame: Float
    private var holdLeft = 0
    private var clipLeft = 0

    /// A meter for audio at `sampleRate` that holds peaks and clips for `holdSeconds`,
    /// then lets the held peak fall by `decayDBPerSecond`.
    public init(sampleRate: Double, holdSeconds: Double = 1.5, decayDBPerSecond: Double = 20) {
        holdFrames = Int(holdSeconds * sampleRate)
        decayDBPerFrame = Float(decayDBPerSecond / sampleRate)
    }

    /// Updates the reading with one block's `levels`, spanning `frames` frames.
    public mutating func record(_ levels: BlockLevels, frames: Int) {
        let peak = decibels(levels.peak)
        let meanSquare = levels.sampleCount > 0 ? levels.sumOfSquares / Float(levels.sampleCount) : 0
        reading.peakDB = peak
        reading.rmsDB = decibels(meanSquare.squareRoot())
        if peak >= reading.heldPeakDB {
            reading.heldPeakDB = peak
            holdLeft = holdFrames
        } else if holdLeft > 0 {
            holdLeft = max(0, holdLeft - frames)
        } else {
            reading.heldPeakDB = max(peak, reading.heldPeakDB - decayDBPerFrame * Float(frames))
        }
        clipLeft = levels.peak >= 1 ? holdFrames : max(0, clipLeft - frames)
        reading.isClipped = clipLeft > 0
    }
}
