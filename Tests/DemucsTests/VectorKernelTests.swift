import CVectorMath
import Foundation
import Testing

@testable import Demucs

/// The `CVectorMath` kernels against plain double-precision loops, at sizes that leave
/// partial tiles, panels and key chunks.
@Suite struct VectorKernelTests {
    /// Deterministic values in [-2, 2).
    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24) * 4 - 2
        }
    }

    @Test(arguments: [(13, 37, 20), (48, 600, 64), (7, 16, 16)])
    func attentionBlockMatchesSoftmaxAttention(rows: Int, keys: Int, headDim: Int) {
        let (ldq, ldk, ldo) = (headDim + 3, headDim + 5, headDim + 1)
        let q = Self.values(rows * ldq, seed: 1)
        let k = Self.values(keys * ldk, seed: 2)
        let v = Self.values(keys * ldk, seed: 3)
        let scale: Float = 0.4
        let packedCount = vector_attention_packed_count(keys, headDim)
        var packedKeys = [Float](repeating: .nan, count: packedCount)
        var packedValues = [Float](repeating: .nan, count: packedCount)
        vector_attention_pack_keys(k, ldk, keys, headDim, &packedKeys)
        vector_attention_pack_values(v, ldk, keys, headDim, &packedValues)
        var scratch = [Float](repeating: .nan, count: vector_attention_scratch_count(rows, keys))
        var out = [Float](repeating: .nan, count: rows * ldo)
        vector_attention_block(q, ldq, rows, packedKeys, packedValues, keys, headDim, scale, &scratch, &out, ldo)
        for r in 0..<rows {
            let scores = (0..<keys).map { j in
                Double(scale) * (0..<headDim).reduce(0.0) { $0 + Double(q[r * ldq + $1]) * Double(k[j * ldk + $1]) }
            }
            let peak = scores.max()!
            let weights = scores.map { exp($0 - peak) }
            let total = weights.reduce(0, +)
            for c in 0..<headDim {
                let expected = (0..<keys).reduce(0.0) { $0 + weights[$1] * Double(v[$1 * ldk + c]) } / total
                #expect(abs(Double(out[r * ldo + c]) - expected) <= 1e-4, "row \(r), column \(c)")
            }
            for c in headDim..<ldo { #expect(out[r * ldo + c].isNaN, "column \(c) beyond the head was written") }
        }
    }

    @Test func softmaxPowersMatchTheDefinition() {
        for count in [1, 7, 8, 29] {
            var x = Self.values(count, seed: UInt64(count))
            x[count / 2] = 3
            let reference = x.map { exp2(Double($0) - 3) }
            let total = vector_softmax_powers(&x, count, 3)
            #expect(abs(Double(total) - reference.reduce(0, +)) <= 1e-6 * Double(count))
            for i in 0..<count { #expect(abs(Double(x[i]) - reference[i]) <= 2e-7 * reference[i], "element \(i)") }
        }
    }

    @Test func softmaxPowersOfVeryLowScoresStayFinite() {
        var x: [Float] = [0, -126, -200, -.greatestFiniteMagnitude]
        let total = vector_softmax_powers(&x, x.count, 0)
        #expect(x[0] == 1 && x[1] == 0x1p-126)
        #expect(x[2] >= 0 && x[2] <= 0x1p-125 && x[3] >= 0 && x[3] <= 0x1p-125)
        #expect(abs(total - 1) <= 1e-6)
    }

    @Test(arguments: [(48, 6, 336, 1), (48, 6, 37, 2), (96, 12, 100, 4), (5, 13, 9, 8), (3, 1, 1, 1)])
    func directConvolutionMatchesTheDefinition(channels: Int, outputs: Int, length: Int, dilation: Int) {
        let (taps, padding, stride) = (3, dilation, length + 3)
        let x = Self.values(channels * stride, seed: 4)
        let weight = Self.values(outputs * channels * taps, seed: 5)
        let bias = Self.values(outputs, seed: 6)
        let outLength = length + 2 * padding - (taps - 1) * dilation
        let outStride = outLength + 2
        // Two stretches of columns, the second from an odd column, as the cores split a row.
        let cut = min(outLength, 17)
        var out = [Float](repeating: .nan, count: outputs * outStride)
        for (first, last) in [(0, cut), (cut, outLength)] where first < last {
            var scratch = [Float](
                repeating: .nan, count: vector_direct_conv1d_scratch_count(channels, last - first, taps, dilation))
            vector_direct_conv1d(
                x, channels, stride, length, weight, bias, outputs, taps, dilation, padding, first, last, &scratch, &out,
                outStride)
        }
        for o in 0..<outputs {
            for t in 0..<outLength {
                var (expected, magnitude) = (Double(bias[o]), abs(Double(bias[o])))
                for c in 0..<channels {
                    for k in 0..<taps where (0..<length).contains(t + k * dilation - padding) {
                        let term = Double(weight[(o * channels + c) * taps + k]) * Double(x[c * stride + t + k * dilation - padding])
                        expected += term
                        magnitude += abs(term)
                    }
                }
                // Float rounding: a few ulp of the terms' magnitude.
                #expect(abs(Double(out[o * outStride + t]) - expected) <= 1e-6 * magnitude, "output \(o), column \(t)")
            }
            for t in outLength..<outStride { #expect(out[o * outStride + t].isNaN, "column \(t) beyond the row was written") }
        }
    }

    @Test func gluMatchesTheDefinition() {
        let count = 1000 + 3
        let input = Self.values(2 * count, seed: 9).map { $0 * 20 }
        let reference = (0..<count).map { Double(input[$0]) / (1 + exp(-Double(input[count + $0]))) }
        var result = [Float](repeating: 0, count: count)
        vector_glu(input, Array(input[count...]), &result, count)
        for i in 0..<count { #expect(abs(Double(result[i]) - reference[i]) <= 1e-6 * max(1, abs(reference[i]))) }
    }

    @Test func affineGELUMatchesTheDefinition() {
        let count = 1000 + 5
        let input = Self.values(count, seed: 11).map { $0 * 3 }
        let (scale, shift): (Float, Float) = (1.7, -0.3)
        var x = input
        vector_affine_gelu(&x, count, scale, shift)
        for i in 0..<count {
            let y = Double(input[i] * scale + shift)
            let expected = 0.5 * y * (1 + erf(y / 2.0.squareRoot()))
            #expect(abs(Double(x[i]) - expected) <= 1e-6 * max(1, abs(expected)), "element \(i)")
        }
    }

    @Test func affineGLUAddMatchesTheDefinition() {
        let count = 1000 + 3
        let value = Self.values(count, seed: 12).map { $0 * 5 }
        let gate = Self.values(count, seed: 13).map { $0 * 5 }
        let start = Self.values(count, seed: 14)
        var out = start
        vector_affine_glu_add(value, gate, count, 0.8, 0.1, 1.9, -0.4, 0.3, &out)
        for i in 0..<count {
            let v = Double(value[i] * 0.8 + 0.1), g = Double(gate[i] * 1.9 - 0.4)
            let expected = Double(start[i]) + 0.3 * v / (1 + exp(-g))
            #expect(abs(Double(out[i]) - expected) <= 1e-6 * max(1, abs(expected)), "element \(i)")
        }
    }

    /// The fused norm passes against the plain norm followed by the separate activation.
    @Test func groupNormFusedPassesMatchTheNormThenTheActivation() {
        let (channels, batch, inner) = (6, 3, 37)
        let norm = GroupNorm(
            groups: 2, weight: Self.values(2 * channels, seed: 15).map { $0 + 3 }, bias: Self.values(2 * channels, seed: 16))
        let context = ComputeContext(threads: 2)
        let y = Tensor(shape: [2 * channels, batch, inner], values: Self.values(2 * channels * batch * inner, seed: 17).map { $0 * 4 + 1 })
        let scale = Self.values(channels, seed: 18)
        let halfNorm = GroupNorm(groups: 1, weight: Array(norm.weight[..<channels]), bias: Array(norm.bias[..<channels]))
        var normed = y
        norm.apply(&normed, batch: batch, context: context)

        var fusedGELU = Tensor(shape: [channels, batch, inner], values: Array(y.values[..<(channels * batch * inner)]))
        var plainGELU = fusedGELU
        halfNorm.apply(&fusedGELU, batch: batch, then: .gelu, context: context)
        halfNorm.apply(&plainGELU, batch: batch, context: context)
        gelu(&plainGELU, context: context)
        for i in 0..<plainGELU.count {
            #expect(abs(fusedGELU.values[i] - plainGELU.values[i]) <= 1e-5 * max(1, abs(plainGELU.values[i])))
        }

        let residual = Self.values(channels * batch * inner, seed: 19)
        var x = Tensor(shape: [channels, batch, inner], values: residual)
        norm.addGatedLinear(of: y, batch: batch, scale: scale, to: &x, context: context)
        let gated = glu(normed, context: context)
        for i in 0..<x.count {
            let c = i / (batch * inner)
            let expected = residual[i] + scale[c] * gated.values[i]
            #expect(abs(x.values[i] - expected) <= 1e-5 * max(1, abs(expected)), "element \(i)")
        }
    }
}
