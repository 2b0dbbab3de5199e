import CVectorMath
import Foundation
import Testing

@testable import Demucs

/// The `CVectorMath` kernels against plain double-precision loops, at sizes that leave
/// partial vectors.
@Suite struct VectorKernelTests {
    /// Deterministic values in [-2, 2).
    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24) * 4 - 2
        }
    }

    @Test func softmaxExponentialsMatchTheDefinition() {
        for count in [1, 7, 8, 29] {
            var x = Self.values(count, seed: UInt64(count))
            x[count / 2] = 3
            let reference = x.map { exp(Double($0) - 3) }
            let total = vector_softmax_exponentials(&x, count)
            #expect(abs(Double(total) - reference.reduce(0, +)) <= 1e-5 * Double(count))
            for i in 0..<count { #expect(abs(Double(x[i]) - reference[i]) <= 1e-6) }
        }
    }

    @Test func gluInPlaceAndIntoAnotherBufferMatchTheDefinition() {
        let count = 1000 + 3
        let input = Self.values(2 * count, seed: 9).map { $0 * 20 }
        let reference = (0..<count).map { Double(input[$0]) / (1 + exp(-Double(input[count + $0]))) }
        var separate = [Float](repeating: 0, count: count)
        vector_glu(input, Array(input[count...]), &separate, count)
        var inPlace = input
        inPlace.withUnsafeMutableBufferPointer { vector_glu($0.baseAddress!, $0.baseAddress! + count, $0.baseAddress!, count) }
        for i in 0..<count {
            let tolerance = 1e-6 * max(1, abs(reference[i]))
            #expect(abs(Double(separate[i]) - reference[i]) <= tolerance)
            #expect(inPlace[i] == separate[i])
        }
    }
}
