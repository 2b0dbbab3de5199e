import Foundation
import Testing
@testable import StemCache

/// `samples` coded and decoded again, with the coded size.
private func roundTrip(_ samples: [Float]) throws -> (decoded: [Float], bytes: Int) {
    var coded: [UInt8] = []
    samples.withUnsafeBufferPointer { PlaneCodec.encode($0, to: &coded) }
    var decoded = [Float](repeating: .nan, count: samples.count)
    let used = try coded.withUnsafeBytes { bytes in
        try decoded.withUnsafeMutableBufferPointer { try PlaneCodec.decode(bytes, into: $0) }
    }
    #expect(used == coded.count)
    return (decoded, coded.count)
}

@Suite("Plane codec")
struct PlaneCodecTests {
    @Test func silenceIsExactAndCostsOneByte() throws {
        let (decoded, bytes) = try roundTrip([Float](repeating: 0, count: 4096))
        #expect(decoded == [Float](repeating: 0, count: 4096))
        #expect(bytes == 1)
    }

    @Test func zerosAmidSoundStayExactZeros() throws {
        let samples = (0..<4096).map { $0 % 512 < 256 ? 0 : 0.5 * sin(Float($0) * 0.05) }
        let (decoded, _) = try roundTrip(samples)
        #expect(zip(samples, decoded).allSatisfy { $0 != 0 || $1 == 0 })
    }

    @Test func everyBlockOfARealisticSignalKeepsItsErrorFarBelowItsLevel() throws {
        for stem in try musicLikeStems(frames: 44100).stems {
            for channel in stem {
                for start in stride(from: 0, to: channel.count, by: EntryFormat.blockFrames) {
                    let block = Array(channel[start..<min(channel.count, start + EntryFormat.blockFrames)])
                    guard block.contains(where: { $0 != 0 }) else { continue }
                    #expect(snr(block, try roundTrip(block).decoded) >= PlaneCodec.noiseBelowRMS)
                }
            }
        }
    }

    @Test func aQuietPassageKeepsTheSameRelativeAccuracyAsALoudOne() throws {
        let loud = (0..<4096).map { 0.9 * sin(Float($0) * 0.013) }
        let quiet = loud.map { $0 * 1e-3 }
        let loudSNR = snr(loud, try roundTrip(loud).decoded)
        let quietSNR = snr(quiet, try roundTrip(quiet).decoded)
        #expect(quietSNR >= PlaneCodec.noiseBelowRMS && abs(quietSNR - loudSNR) < 6.1)
    }

    @Test func nonFiniteSamplesDecodeAsZeroWithoutTrapping() throws {
        var samples = (0..<100).map { sin(Float($0)) }
        samples[3] = .nan
        samples[50] = .infinity
        samples[51] = -.infinity
        let (decoded, _) = try roundTrip(samples)
        #expect(decoded[3] == 0 && decoded[50] == 0 && decoded[51] == 0)
        #expect(try roundTrip([.nan, .infinity]).decoded == [0, 0])
    }

    @Test func extremeValuesStayFiniteAndTheSmallestAreExact() throws {
        let samples: [Float] = [.greatestFiniteMagnitude, -.greatestFiniteMagnitude, -1e30, 1, 0]
        let (decoded, _) = try roundTrip(samples)
        #expect(decoded.allSatisfy { $0.isFinite })
        #expect(abs(decoded[0] / .greatestFiniteMagnitude - 1) < 1e-4 && decoded[1] == -decoded[0])  // within a step of the grid
        let tiny: [Float] = [.leastNonzeroMagnitude, -.leastNonzeroMagnitude, 0, 3 * .leastNonzeroMagnitude]
        #expect(try roundTrip(tiny).decoded == tiny)
    }

    @Test func aPlaneWhoseBitsEndEarlyIsRejected() throws {
        let samples = (0..<4096).map { sin(Float($0) * 0.1) }
        var coded: [UInt8] = []
        samples.withUnsafeBufferPointer { PlaneCodec.encode($0, to: &coded) }
        let length = coded.count - PlaneCodec.planeHeaderSize
        for cut in [length / 2, length - 8] {
            var short = Array(coded.prefix(PlaneCodec.planeHeaderSize + cut))
            withUnsafeBytes(of: UInt32(cut).littleEndian) { short.replaceSubrange(4..<8, with: $0) }
            var target = [Float](repeating: 0, count: samples.count)
            #expect(throws: EntryFormat.Problem.self) {
                try short.withUnsafeBytes { bytes in try target.withUnsafeMutableBufferPointer { _ = try PlaneCodec.decode(bytes, into: $0) } }
            }
        }
    }

    @Test func implausiblePlaneHeadersAreRejected() throws {
        var target = [Float](repeating: 0, count: 16)
        for header: [UInt8] in [[9, 0, 0, 4, 0, 0, 0, 0], [1, 0, 0, 40, 0, 0, 0, 0], [1, 0, 0, 4, 255, 255, 255, 255], [1, 0, 0]] {
            #expect(throws: EntryFormat.Problem.self) {
                try header.withUnsafeBytes { bytes in try target.withUnsafeMutableBufferPointer { _ = try PlaneCodec.decode(bytes, into: $0) } }
            }
        }
    }
}
